import pytest
from django.urls import reverse

from catalog.models import QuestionState
from submissions.models import Answer
from tests.factories import ModelEntryFactory, QuestionFactory, SiteFactory

LIST = reverse("catalog:question_list")


def titles(response) -> list[str]:
    return [q.title for q in response.context["page"]]


@pytest.fixture
def catalogue(db):
    math = SiteFactory(slug="math", name="Mathematics")
    history = SiteFactory(slug="history", name="History")
    return {
        "zeta": QuestionFactory(site=math, title="Zeros of the zeta function", votes=50,
                                tags=["number-theory"], category="math", diamond=True,
                                body="Are all nontrivial zeros on the critical line?"),
        "prime": QuestionFactory(site=math, title="Twin prime gaps", votes=30,
                                 tags=["number-theory", "primes"], category="math"),
        "rome": QuestionFactory(site=history, title="Grain supply of imperial Rome", votes=40,
                                tags=["roman-empire"], category="humanities",
                                body="How much grain did Egypt ship to Rome each year?"),
        "draft": QuestionFactory(site=history, title="A draft never shown", votes=99,
                                 state=QuestionState.DRAFT),
    }  # fmt: skip


def test_list_shows_public_questions_by_votes(client, catalogue):
    response = client.get(LIST)
    assert response.status_code == 200
    assert titles(response) == [
        "Zeros of the zeta function", "Grain supply of imperial Rome", "Twin prime gaps",
    ]  # fmt: skip
    assert b"A draft never shown" not in response.content


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"site": "history"}, ["Grain supply of imperial Rome"]),
        ({"tag": "primes"}, ["Twin prime gaps"]),
        ({"tag": "number-theory"}, ["Zeros of the zeta function", "Twin prime gaps"]),
        ({"category": "humanities"}, ["Grain supply of imperial Rome"]),
        ({"diamond": "on"}, ["Zeros of the zeta function"]),
        ({"state": "open", "site": "math"}, ["Zeros of the zeta function", "Twin prime gaps"]),
        ({"q": "grain Egypt"}, ["Grain supply of imperial Rome"]),
        ({"q": "critical line"}, ["Zeros of the zeta function"]),
        ({"q": "primes"}, ["Twin prime gaps"]),
        ({"q": "never"}, []),
    ],
)
def test_filters_and_search(client, catalogue, params, expected):
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert titles(response) == expected


def test_sorting_by_newest_and_activity(client, catalogue):
    assert titles(client.get(LIST, {"sort": "newest"}))[0] == "Grain supply of imperial Rome"
    from django.utils import timezone

    prime = catalogue["prime"]
    type(prime).objects.filter(pk=prime.pk).update(last_activity_at=timezone.now())
    assert titles(client.get(LIST, {"sort": "activity"}))[0] == "Twin prime gaps"


def test_invalid_filters_show_a_clear_error_not_a_crash(client, catalogue):
    response = client.get(LIST, {"site": "nowhere", "sort": "sideways"})
    assert response.status_code == 200
    assert b"Some filters are not valid" in response.content
    assert titles(response) == []


def test_pagination_keeps_the_filters(client, site, settings):
    settings.QUORUM_PAGE_SIZE = 2
    for n in range(5):
        QuestionFactory(site=site, votes=n, tags=["x"])
    response = client.get(LIST, {"tag": "x", "page": 2})
    assert response.context["page"].number == 2
    assert 'href="?tag=x&amp;page=3"' in response.content.decode()
    assert client.get(LIST, {"tag": "x", "page": 99}).context["page"].number == 3


def test_htmx_request_gets_only_the_results_partial(client, catalogue):
    response = client.get(LIST, {"site": "math"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<html" not in html and "Twin prime gaps" in html


def test_list_query_count_does_not_grow_with_data(client, site, django_assert_num_queries):
    QuestionFactory.create_batch(3, site=site)
    with django_assert_num_queries(3):  # sites for the filter, count, page
        client.get(LIST, {"tag": "algebra"})
    QuestionFactory.create_batch(30, site=site)
    QuestionFactory.create_batch(10, site=SiteFactory())
    with django_assert_num_queries(3):
        client.get(LIST, {"tag": "algebra"})


def test_question_page_renders_body_tags_attribution_and_math(client, site):
    question = QuestionFactory(
        site=site, body="Prove $\\sum_{n\\ge1} 1/n^2 = \\pi^2/6$.\n\n$$\\int_0^1 x\\,dx$$",
        link="https://math.stackexchange.com/questions/42", attribution="Stack Exchange contributors",
    )  # fmt: skip
    response = client.get(reverse("catalog:question_detail", args=[question.pk]))
    html = response.content.decode()
    assert '<span class="math-inline">\\(\\sum_{n\\ge1} 1/n^2 = \\pi^2/6\\)</span>' in html
    assert '<div class="math-block">\\[\\int_0^1 x\\,dx\\]</div>' in html
    assert 'href="https://math.stackexchange.com/questions/42"' in html
    assert "CC BY-SA 4.0" in html and "Stack Exchange contributors" in html
    assert "katex.min.js" in html


def test_question_page_query_count_is_constant(client, site, curator, django_assert_num_queries):
    from catalog.services import question_open, question_retire

    question = QuestionFactory(site=site)
    Answer.objects.create(question=question, model_entry=ModelEntryFactory(), text="first", content_hash="f")
    url = reverse("catalog:question_detail", args=[question.pk])
    # question + site, answers + entries + assessments, their validations + validators +
    # results, their reviews + experts, whether a judge is configured, history, comments
    with django_assert_num_queries(7):
        client.get(url)
    for n in range(3):
        question_retire(question=question, actor=curator, retire_reason="duplicate")
        question_open(question=question, actor=curator)
        entry = ModelEntryFactory()
        Answer.objects.create(question=question, model_entry=entry, text=f"Answer {n}", content_hash=str(n))
    with django_assert_num_queries(7):
        response = client.get(url)
    assert response.content.decode().count('class="answer"') == 4


def test_draft_and_missing_questions_are_404(client, catalogue):
    assert client.get(reverse("catalog:question_detail", args=[catalogue["draft"].pk])).status_code == 404
    assert client.get(reverse("catalog:question_detail", args=[10**8])).status_code == 404


def test_best_match_weights_titles_over_bodies(client, db):  # on both databases
    site = SiteFactory(slug="physics")
    QuestionFactory(site=site, title="Something else", body="entropy " * 3, votes=100)
    QuestionFactory(site=site, title="Entropy of black holes", body="a body", votes=1)
    response = client.get(LIST, {"q": "entropy", "sort": "relevance"})
    assert titles(response) == ["Entropy of black holes", "Something else"]


def test_search_counts_are_capped_so_common_words_stay_fast(client, site, monkeypatch, settings):
    from catalog import selectors

    settings.QUORUM_PAGE_SIZE = 2
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 3)
    for n in range(5):
        QuestionFactory(site=site, title=f"Common word {n}", body="common")
    searched = client.get(LIST, {"q": "common"})
    assert "More than 3 questions" in searched.content.decode()
    assert titles(searched) == ["Common word 4", "Common word 3"]
    listed = client.get(LIST)
    assert "5 questions" in listed.content.decode()
