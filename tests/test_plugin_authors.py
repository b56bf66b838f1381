"""What a connector author sees (issue 14, Plugin authors): the options each connector
declares, and contract failures that say what was expected (U1, U2)."""

from __future__ import annotations

import pytest

from contacthub.connector import WriteRequest
from contacthub.testing import ConnectorContract, MemoryConnector, full_contact


def test_u1_connectors_verbose_lists_each_connectors_options(run):
    plain = run("connectors").stdout
    assert "vcf\tbuilt-in\t" in plain and "Option" not in plain
    lines = run("connectors", "--verbose").stdout.splitlines()
    assert "Connector\tOption\tWhat it sets" in lines
    options = {tuple(line.split("\t")[:2]) for line in lines[lines.index("Connector\tOption\tWhat it sets") + 1 :]}
    assert {("vcf", "location"), ("carddav", "username"), ("graph", "location")} <= options
    assert "Connector\tOption\tWhat it sets" in run("-v", "connectors").stdout  # the global -v too


class _IgnoresEtags(MemoryConnector):
    """A planted bug: updates and deletes never check the etag."""

    def _guard(self, request: WriteRequest) -> None:
        self._get(request.remote_id)


def test_u2_a_contract_failure_says_expected_wrong_etag_not_a_result_repr():
    connector = _IgnoresEtags()
    suite = ConnectorContract()
    with pytest.raises(AssertionError) as failure:
        suite.test_s4_update_with_stale_etag_is_wrong_etag_and_keeps_the_user_edit(connector, connector, full_contact())
    message = str(failure.value)
    assert message.startswith("expected WrongEtag, got ok (id "), message
    assert "Result(" not in message and len(message) < 200


def test_u2_a_batch_contract_failure_lists_each_outcome():
    connector = _IgnoresEtags()
    with pytest.raises(AssertionError) as failure:
        ConnectorContract().test_u2_batches_return_one_result_per_request_in_order(connector, connector, full_contact())
    message = str(failure.value)
    assert message.startswith("expected [ok; WrongEtag; ok], got [ok (id "), message
    assert "Result(" not in message
