import json

import pytest

from catalog.records import RecordError, parse_line

PUBLISHED = {
    "question_id": "abc123",
    "title": "Does every bounded sequence have a convergent subsequence?",
    "body": "<p>Let $(a_n)$ be bounded.</p>",
    "site": "math",
    "category": "math",
    "tags": ["real-analysis", "sequences"],
    "link": "https://math.stackexchange.com/questions/1",
    "votes": 12,
    "diamond": 1,
    "comment_count": 3,
}
CRAWLER = {
    "id": 987,
    "title": "Why is the sky blue at noon?",
    "body": "plain text body",
    "body_markdown": "Markdown **body** with $x$",
    "site": "physics.stackexchange.com",
    "tags": "<optics><scattering>",
    "score": 7,
    "views": 1200,
    "creation_date": "2019-04-01T10:00:00",
    "comments": ["first comment"],
    "comment_count": 1,
    "answer": "[No answer]",
    "unknown_field": {"ignored": True},
}


def line(data: dict, **changes) -> str:
    return json.dumps({**data, **changes})


def test_published_shape_is_read_field_by_field():
    record = parse_line(line(PUBLISHED))
    assert record.external_id == "abc123"
    assert record.site == "math"
    assert record.tags == ["real-analysis", "sequences"]
    assert record.votes == 12
    assert record.diamond is True
    assert record.comment_count == 3
    assert record.link == "https://math.stackexchange.com/questions/1"


def test_crawler_shape_maps_id_score_markdown_and_date():
    record = parse_line(line(CRAWLER))
    assert record.external_id == "987"
    assert record.site == "physics"
    assert record.votes == 7
    assert record.views == 1200
    assert record.body == "Markdown **body** with $x$"
    assert record.tags == ["optics", "scattering"]
    assert record.source_created_at.isoformat() == "2019-04-01T10:00:00+00:00"
    assert record.extra == {"comments": ["first comment"]}


def test_default_site_applies_only_when_the_record_names_none():
    data = {k: v for k, v in PUBLISHED.items() if k != "site"}
    assert parse_line(json.dumps(data), default_site="history").site == "history"
    with pytest.raises(RecordError, match="site"):
        parse_line(json.dumps(data))


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (line(PUBLISHED, title=""), "title: required"),
        (line(PUBLISHED, title=5), "title: expected a string"),
        (line(PUBLISHED, title="x" * 501), "title: 501 characters"),
        (line({k: v for k, v in PUBLISHED.items() if k != "question_id"}), "question_id"),
        (line(PUBLISHED, question_id=True), "question_id"),
        (line(PUBLISHED, votes="many"), "votes: expected an integer"),
        (line(PUBLISHED, diamond=2), "diamond: expected 0 or 1"),
        (line(PUBLISHED, tags="not-a-list-but-fine", link="javascript:alert(1)"), "link"),
        (line(PUBLISHED, tags=[1, 2]), "tags: expected a list of strings"),
        (line(PUBLISHED, comment_count=-1), "comment_count: must be at least 0"),
        (line(CRAWLER, creation_date="yesterday"), "creation_date"),
    ],
)
def test_bad_records_say_which_field_and_why(raw, message):
    with pytest.raises(RecordError, match=message):
        parse_line(raw)


def test_content_hash_changes_with_content_only():
    a = parse_line(line(PUBLISHED))
    b = parse_line(line(PUBLISHED, unknown="ignored"))
    c = parse_line(line(PUBLISHED, votes=13))
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
