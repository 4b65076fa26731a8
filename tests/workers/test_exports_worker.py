"""An export through a real worker on the configured broker (routed to `default`)."""

import zipfile

import pytest

from leaderboards import services
from leaderboards.models import Export
from tests.factories import QuestionFactory, SiteFactory, UserFactory
from tests.workers.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_real_worker_writes_the_export(workers, settings, tmp_path):
    settings.QUORUM_EXPORT_DIR = tmp_path
    workers.env["QUORUM_EXPORT_DIR"] = str(tmp_path)
    QuestionFactory.create_batch(3, site=SiteFactory(slug="math"))
    export = services.export_request(user=UserFactory(), tables=["questions"], format="parquet")
    workers.start(queues="default", concurrency=1, beat=False)
    wait_for(lambda: Export.objects.filter(pk=export.pk, status__in=["succeeded", "failed"]).exists(),
             timeout_s=60, what="the export")  # fmt: skip
    export.refresh_from_db()
    assert export.status == "succeeded", export.error
    with zipfile.ZipFile(services.export_path(export)) as archive:
        assert sorted(archive.namelist()) == ["LICENSE.md", "README.md", "questions.parquet"]
    assert export.row_counts == {"questions": 3}
