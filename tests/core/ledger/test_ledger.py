"""The double-entry ledger: balanced entries, derived balances, immutability, verify."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace_kit.core.ledger import service as ledger
from marketplace_kit.core.ledger.kinds import AccountKind
from marketplace_kit.core.ledger.models import JournalEntry, LedgerAccount, Posting
from marketplace_kit.errors import PluginError
from marketplace_kit.events import commit
from marketplace_kit.extensions import db
from marketplace_kit.hookspecs import hookimpl
from marketplace_kit.money import Money


def usd(amount: int) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def funded(app, user_factory):
    """A user wallet funded with 100.00 USD from the sandbox clearing account."""
    user = user_factory()
    wallet = ledger.account("wallet", user, "USD")
    clearing = ledger.account("clearing", "sandbox", "USD")
    ledger.transfer("deposit", clearing, wallet, usd(10000), memo="top-up")
    commit()
    return user, wallet, clearing


def test_balanced_entry_moves_money_and_balances_derive_from_postings(funded):
    user, wallet, clearing = funded
    assert wallet.balance == usd(10000)
    assert clearing.balance == usd(-10000)
    assert ledger.balance(wallet) == usd(10000)
    assert ledger.balance(clearing) == usd(-10000)
    assert ledger.balance_of("wallet", user, "USD") == usd(10000)
    assert ledger.verify() == []


def test_unbalanced_entries_are_refused_and_write_nothing(funded):
    _user, wallet, clearing = funded
    with pytest.raises(ledger.LedgerError, match="unbalanced"):
        ledger.post("oops", [(wallet, usd(5)), (clearing, usd(-4))])
    with pytest.raises(ledger.LedgerError, match="at least two"):
        ledger.post("oops", [(wallet, usd(5))])
    eur = Money(5, "EUR")
    with pytest.raises(ledger.LedgerError, match="held in USD"):
        ledger.post("oops", [(wallet, eur), (clearing, -eur)])
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == 1
    assert ledger.verify() == []


def test_an_account_that_may_not_go_negative_refuses_overdraft(funded, user_factory):
    _user, wallet, _clearing = funded
    other = ledger.account("wallet", user_factory(), "USD")
    commit()
    with pytest.raises(ledger.InsufficientFunds) as info:
        ledger.transfer("payment", wallet, other, usd(10001))
    assert info.value.status == 409
    db.session.rollback()
    assert ledger.balance(wallet) == usd(10000)
    assert ledger.balance(other) == usd(0)
    ledger.transfer("payment", wallet, other, usd(10000))
    commit()
    assert ledger.balance(wallet) == usd(0)


def test_unique_key_moves_money_at_most_once(funded, user_factory):
    _user, wallet, _clearing = funded
    other = ledger.account("wallet", user_factory(), "USD")
    first = ledger.transfer("payment", wallet, other, usd(300), unique_key="order:1:pay")
    second = ledger.transfer("payment", wallet, other, usd(300), unique_key="order:1:pay")
    commit()
    assert first.id == second.id
    assert ledger.balance(other) == usd(300)


def test_accounts_are_unique_per_kind_owner_and_currency(app, user_factory):
    user = user_factory()
    a = ledger.account("wallet", user, "USD")
    b = ledger.account("wallet", user.id, "USD")
    c = ledger.account("wallet", user, "EUR")
    assert a.id == b.id != c.id
    assert a.allow_negative is False
    assert ledger.account("clearing", "sandbox", "USD").allow_negative is True
    with pytest.raises(KeyError, match="unknown account kind"):
        ledger.account("piggy_bank", user, "USD")


@pytest.mark.parametrize("table", ["ledger_postings", "ledger_entries"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET id = id", "DELETE FROM {t}"])
def test_journal_is_immutable_below_the_orm(funded, table, statement):
    with pytest.raises(sa.exc.DatabaseError, match="immutable"):
        db.session.execute(sa.text(statement.format(t=table)))
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 2


def test_ledger_verify_command(funded, cli):
    _user, wallet, _clearing = funded
    result = cli("ledger", "verify")
    assert result.exit_code == 0, result.output
    assert "ledger verify: ok" in result.output

    # A cached balance that disagrees with the postings.
    db.session.execute(
        sa.update(LedgerAccount).where(LedgerAccount.id == wallet.id).values(balance_amount=1)
    )
    commit()
    result = cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"account {wallet.id} (wallet:" in result.output
    assert "cached balance 1 != sum of postings 10000" in result.output


def test_ledger_verify_finds_unbalanced_entries_written_around_the_service(funded, cli):
    _user, wallet, _clearing = funded
    entry = JournalEntry(kind="forged", memo="")
    db.session.add(entry)
    db.session.flush()
    db.session.add(Posting(entry_id=entry.id, account_id=wallet.id, amount=500, currency="USD"))
    commit()
    result = cli("ledger", "verify")
    assert result.exit_code == 1
    assert f"entry {entry.id}: postings in USD sum to 500, not 0" in result.output
    assert f"entry {entry.id}: has 1 posting(s), needs 2" in result.output
    assert "ledger: all postings in USD sum to 500, not 0" in result.output


class CreditPlugin:
    mk_plugin_name = "mutual_credit"

    @staticmethod
    @hookimpl
    def mk_register_account_kinds(app):
        return [AccountKind("credit_issuance", "user", allow_negative=True)]


def test_plugins_add_account_kinds(app_factory, user_factory):
    app = app_factory(extra_plugins=[CreditPlugin])
    with app.app_context():
        from marketplace_kit.core.users.service import create_user

        user = create_user("m@example.com", "M", password_hash=None)
        commit()
        issuance = ledger.account("credit_issuance", user, "USD")
        wallet = ledger.account("wallet", user, "USD")
        ledger.transfer("credit_line", issuance, wallet, usd(5000))
        commit()
        assert issuance.balance == usd(-5000)
        assert ledger.verify() == []


def test_duplicate_account_kind_stops_startup_naming_both(app_factory):
    class Clash:
        mk_plugin_name = "clash"

        @staticmethod
        @hookimpl
        def mk_register_account_kinds(app):
            return [AccountKind("wallet", "user")]

    with pytest.raises(PluginError, match=r"duplicate account kind 'wallet'.*'clash'"):
        app_factory(extra_plugins=[Clash])


@given(
    amount=st.integers(min_value=-(10**12), max_value=10**12),
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(
        lambda r: sum(r) > 0
    ),
)
def test_allocate_never_creates_or_loses_a_minor_unit(amount, ratios):
    parts = Money(amount, "USD").allocate(ratios)
    assert sum(p.amount for p in parts) == amount
    assert len(parts) == len(ratios)
    for part, ratio in zip(parts, ratios, strict=True):
        if ratio == 0:
            assert part.amount == 0
        exact = amount * ratio / sum(ratios)
        assert abs(part.amount - exact) < 1 + 1e-9 * abs(amount)


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    percent=st.decimals(min_value=0, max_value=100, places=4),
)
def test_percent_split_keeps_every_minor_unit(amount, percent):
    total = Money(amount, "JPY")
    fee = total.percent(percent)
    rest = total - fee
    assert fee.amount + rest.amount == amount
    assert 0 <= fee.amount <= amount
