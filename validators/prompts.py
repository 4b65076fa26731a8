"""Prompt texts for the six UQ strategies (Quorum's own wording, UQ's semantics).

Every verdict prompt ends with a format instruction: `tag` asks for a final [[Y]] / [[N]]
(UQ-compatible), `json` asks for {"reasoning": ..., "verdict": "Y" | "N"}.
"""

from __future__ import annotations

from typing import Any

VERDICT_SCHEMA = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "verdict": {"type": "string", "enum": ["Y", "N"]},
    },
    "required": ["reasoning", "verdict"],
    "additionalProperties": False,
}


def format_instruction(fmt: str, yes: str, no: str, label: str) -> str:
    if fmt == "json":
        return (
            "Reply with a single JSON object and nothing else: "
            '{"reasoning": "<your analysis>", "verdict": "Y" or "N"}. '
            f'Use "Y" if {yes}, "N" if {no}. Write the reasoning before deciding.'
        )
    return (
        f"Finish with your decision on the last line, written as `{label}: [[Y]]` if {yes}, "
        f"or `{label}: [[N]]` if {no}. Only the last [[Y]] or [[N]] in your reply counts."
    )


def question_block(question: dict[str, Any], heading: str = "Question") -> str:
    tags = question.get("tags") or []
    if isinstance(tags, str):
        tags = [tags]
    return (
        f"[{heading}]\n"
        f"Title: {question.get('title', '')}\n"
        f"Keywords: {', '.join(str(t) for t in tags)}\n"
        f"Category: {question.get('category', '')}\n"
        f"Site: {question.get('site', '')}\n\n"
        f"{question.get('body', '')}"
    )


def reference_block(reference: str | None) -> str:
    if not reference:
        return ""
    return (
        "[Reference Answer]\nThe asker endorsed this reference answer as correct; "
        f"use it to check the answer below.\n{reference}\n\n"
    )


def _compose(intro: str, question: dict, answer: str, reference: str | None, fmt: str,
             yes: str, no: str, label: str) -> str:  # fmt: skip
    return (
        f"{intro}\n\n{format_instruction(fmt, yes, no, label)}\n\n"
        f"{question_block(question)}\n\n{reference_block(reference)}"
        f"[Answer to Evaluate]\n{answer}"
    )


RELEVANCE_INTRO = """You judge whether an answer is relevant to a question and addresses its core.

Consider:
1. Does the answer take on the main topic or problem of the question directly?
2. Does it cover the question's key elements and specific requirements?
3. Does it stay on what was asked instead of drifting to side topics?
4. Does it give the kind of information or solution the question asks for?"""

CYCLE_INFER = """Here is an answer. Write the question that most likely prompted it: infer the \
core question this answer addresses. Reply with the inferred question only, nothing else.

[Answer]
{answer}"""

CYCLE_COMPARE_INTRO = """You judge whether an answer is relevant to the original question and \
addresses its core. You are given the original question, the answer, and a question that was \
inferred from the answer alone.

Compare the two questions:
1. Do they ask about the same core topic?
2. Do they share the same key elements and requirements?
3. Would answering one of them effectively answer the other?

Then judge the answer itself:
1. Does it take on the main topic or problem of the original question directly?
2. Does it cover the key elements and specific requirements?
3. Does it stay on what was asked instead of drifting to side topics?
4. Does it give the kind of information or solution the question asks for?"""

FACT_CHECK_INTRO = """You are an impartial judge. Examine the answer for factual errors, \
logical flaws and misleading statements, weighing whether its claims agree with established \
knowledge in the field.

Check:
1. Are any facts, dates, numbers, formulas or claims wrong?
2. Is any reasoning, logic or problem-solving step faulty?
3. Is any explanation misleading, incomplete or ambiguous?
4. Does it introduce misconceptions or repeat common errors?

Minor typos and grammar slips do not matter. Be strict about factual, calculation and \
logical errors. When you are unsure about a statement, lean towards accepting it unless it \
is clearly wrong."""

FINAL_ANSWER_INTRO = """You are an impartial judge. Decide whether the response reaches a \
correct final answer to the user's question. Focus on the conclusion or solution; imperfect \
intermediate steps are acceptable.

Proceed as follows:
1. Identify the main question.
2. Locate the final answer or conclusion in the response.
3. If the question is complex, work out your own reference answer first.
4. Decide whether the final answer correctly resolves the question."""

CORRECTNESS_INTRO = """You are an impartial judge. Decide whether the response is completely \
correct, in its process and in its conclusion, and whether it fully solves the user's \
question. Weigh correctness, usefulness, completeness and depth. Reason the problem through \
yourself first, forming a reference or partial solution, and compare the response with it.

Start with a short summary of your assessment: is it accurate, does it address the question, \
is it detailed enough? Name any errors or gaps precisely. Do not let the question's \
difficulty or anything outside the response sway you.

Rules:
1. Do not accept a partial or high-level answer, or one that only says the problem is open.
2. Do not accept an answer that lacks details or is not comprehensive.
3. Do not accept an answer that contains any error.
4. Accept only if the answer is at least 95% correct and solves the question.
5. For puzzles, the completeness requirement may be relaxed somewhat.

Think twice before deciding whether this answer solves the user's question."""

VANILLA_INTRO = "Judge whether the given answer correctly answers the question."

REFLECT = """Think again about your judgement. Are you still confident in it? After careful \
reconsideration, restate your final decision in the same format: {instruction}"""


def relevance(question, answer, reference, fmt):
    # UQ's relevance check does not use the reference answer.
    return _compose(RELEVANCE_INTRO, question, answer, None, fmt,
                    "the answer is relevant and addresses the core of the question",
                    "it is irrelevant or misses the main point", "Relevant")  # fmt: skip


def cycle_infer(answer: str) -> str:
    return CYCLE_INFER.format(answer=answer)


def cycle_compare(question, answer, inferred, fmt):
    return (
        f"{CYCLE_COMPARE_INTRO}\n\n"
        + format_instruction(fmt, "the answer is relevant and addresses the core of the question",
                             "it is irrelevant or misses the main point", "Relevant")
        + f"\n\n{question_block(question, 'Original Question')}\n\n[Answer]\n{answer}\n\n"
        f"[Inferred Question]\n{inferred}"
    )  # fmt: skip


def fact_check(question, answer, reference, fmt):
    return _compose(FACT_CHECK_INTRO, question, answer, reference, fmt,
                    "the answer has no factual errors or major flaws",
                    "it contains important factual errors or logical flaws that would mislead "
                    "the user", "No Factual Errors")  # fmt: skip


def final_answer(question, answer, reference, fmt):
    return _compose(FINAL_ANSWER_INTRO, question, answer, reference, fmt,
                    "the final answer is correct", "it is incorrect",
                    "Final Answer Correct")  # fmt: skip


def correctness(question, answer, reference, fmt):
    return _compose(CORRECTNESS_INTRO, question, answer, reference, fmt,
                    "you accept the answer", "you do not accept it", "Accepted")  # fmt: skip


def vanilla(question, answer, reference, fmt):
    return _compose(VANILLA_INTRO, question, answer, reference, fmt,
                    "the answer is correct", "it is incorrect", "Correct")  # fmt: skip


def reflect(fmt: str) -> str:
    instruction = format_instruction(
        fmt, "you maintain your acceptance", "you now reject it", "Final decision"
    )
    return REFLECT.format(instruction=instruction)


VERDICT_PROMPTS = {
    "relevance": relevance,
    "fact_check": fact_check,
    "final_answer": final_answer,
    "correctness": correctness,
    "vanilla": vanilla,
}
STRATEGIES = ("relevance", "cycle_consistency", "fact_check", "final_answer", "correctness",
              "vanilla")  # fmt: skip
BASE_CALLS = {name: (2 if name == "cycle_consistency" else 1) for name in STRATEGIES}
