"""Fast where it counts (issue 14): the statements of a relay, a claim, a sweep and a digest are
read through indexes, and a relay costs a known number of statements, trips to the database's
thread, commits and fsyncs.

Each action runs through the real bot while SQLite's trace callback records what it executes;
every statement is then explained (EXPLAIN QUERY PLAN) and none may read a whole table. The
fsyncs are read from the same record: a COMMIT, or a write outside a transaction, under
`synchronous = FULL` (SQLite in WAL mode syncs the log then, and only then).
"""
from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from flows import ask_for_conversation, join_as_member
from trips import Trips

from bot.foundations import clock
from bot.steering.digest.schedule import slot_of_week, week_label

_NOT_A_QUERY = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|PRAGMA|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
_SYNCHRONOUS = re.compile(r"^\s*PRAGMA synchronous\s*=\s*(\w+)", re.IGNORECASE)
_VALUES = re.compile(r"^SCAN (\d+ )?CONSTANT ROWS?$")  # the rows of a VALUES list, not a table
# aiosqlite's execute_insert reads the new row's id in the same trip: the driver's, not the bot's.
_DRIVER = "SELECT last_insert_rowid()"


class Recorder(Trips):
    def __init__(self, db, small_tables: tuple[str, ...] = ()) -> None:
        super().__init__(db)
        self.small_tables = {f"SCAN {table}" for table in small_tables}  # as the plan names them

    async def __aenter__(self) -> "Recorder":
        self._level = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
            (await self.db.conn.execute_fetchall("PRAGMA synchronous"))[0][0]]
        return await super().__aenter__()

    @property
    def trips(self) -> int:
        return self.count

    @property
    def queries(self) -> list[str]:
        return [s for s in self.statements if not _NOT_A_QUERY.match(s) and s != _DRIVER]

    def commits(self) -> int:
        return sum(1 for s in self.statements if s.strip().upper() == "COMMIT")

    def fsyncs(self) -> int:
        """COMMITs, and writes outside a transaction, made under synchronous = FULL."""
        level, inside, synced = self._level, False, 0
        for statement in self.statements:
            word = statement.strip().split(None, 1)[0].upper()
            if match := _SYNCHRONOUS.match(statement):
                level = match[1].upper()
            elif word == "BEGIN":
                inside = True
            elif word in ("COMMIT", "ROLLBACK") and not statement.upper().startswith("ROLLBACK TO"):
                synced += word == "COMMIT" and level == "FULL"
                inside = False
            elif not inside and _WRITE.match(statement):
                synced += level == "FULL"
        return synced

    async def whole_table_reads(self) -> dict[str, list[str]]:
        """Each statement that reads a table from end to end, with the plan's lines that do."""
        found = {}
        for sql in self.queries:
            plan = [row[3] for row in await self.db.conn.execute_fetchall(f"EXPLAIN QUERY PLAN {sql}")]
            scans = [line for line in plan if line.startswith("SCAN ") and " USING " not in line
                     and not _VALUES.match(line) and line not in self.small_tables]
            if scans:
                found[sql[:160]] = scans
        return found


async def _claimed(running, people):
    services = running.services
    anna, emma = people(201, "Anna"), people(301, "Emma")
    await join_as_member(services, anna, "Anna")
    ref = await ask_for_conversation(emma, first_message="hello")
    return anna, emma, ref


async def test_a_relay_reads_through_indexes_in_one_commit_before_the_send_and_one_after(running, people):
    anna, emma, ref = await _claimed(running, people)
    await anna.press_data(f"claim:{ref}", anna.last())
    await anna.send("hello, I am Anna")
    db = running.services.core.db
    inbox = running.app.bot_data["inbox"]
    durable_before = db.durable_commits
    async with Recorder(db) as store:
        await inbox.receive([{"update_id": 990_001, "message": {
            "message_id": 4242, "date": 0, "chat": {"id": 301, "type": "private"},
            "from": {"id": 301, "is_bot": False, "first_name": "Emma", "language_code": "en"}, "text": "thank you"}}])
    # Stored before Telegram hears it arrived: one fsync, and one trip to the database's thread for
    # the BEGIN, the insert and the COMMIT (however many updates a getUpdates brought).
    assert store.fsyncs() == 1 and store.trips == 1, store.statements
    assert db.durable_commits == durable_before + 1
    async with Recorder(db) as relay:
        await inbox.handle_pending()
    assert anna.last().text == f"💬 Colleague {ref}:\nthank you"
    assert emma.reaction(4242) == "👌"
    assert await relay.whole_table_reads() == {}
    # Taking the update (and counting its attempt), and its handling (the message, its delivery and
    # the reaction, in flight, and the update marked done: one transaction). What went out is
    # recorded by the next transaction. Looking for the next update commits nothing when there is none.
    assert relay.commits() == 2
    assert relay.fsyncs() == 1  # the handling: nothing else waits for the disk
    assert db.durable_commits == durable_before + 2  # and the store, before
    # The relay's own transaction is a savepoint of the handling's (its SAVEPOINT is no query and no
    # trip). Taking is a read and, when something is due, a write (an update tried before is taken
    # alone). Nobody looks for more updates: that one took all that was due, and none came in
    # meanwhile. The text and the reaction that says it arrived are queued in one statement.
    assert len(relay.queries) == 15, "\n".join(relay.queries)
    # One trip to aiosqlite's thread: taking the update, handling it (every statement of both
    # transactions, BEGIN and COMMIT included) and reading what is due to go.
    assert relay.trips == 1, relay.statements
    # What went out rides along with the next transaction: here the next update's storing, in its
    # one trip and its one fsync, before the update itself: what went is marked sent in one
    # statement for the batch, whatever its size, and the relayed message delivered. Nothing was
    # rewritten while it was on its way, so nothing is read to find out.
    delivered = "SELECT COUNT(*) FROM messages WHERE delivered = 1"
    before = (await db.conn.execute_fetchall(delivered))[0][0]  # past our Database: what is on disk
    async with Recorder(db) as store:
        await inbox.receive([{"update_id": 990_002, "message": {
            "message_id": 4243, "date": 0, "chat": {"id": 301, "type": "private"},
            "from": {"id": 301, "is_bot": False, "first_name": "Emma", "language_code": "en"}, "text": "bye"}}])
    assert store.fsyncs() == 1 and store.trips == 1 and store.commits() == 1, store.statements
    assert (await db.conn.execute_fetchall(delivered))[0][0] == before + 1
    assert [q.split()[:3] for q in store.queries] == [
        ["UPDATE", "outbox", "SET"], ["UPDATE", "messages", "SET"], ["INSERT", "INTO", "inbox"]], "\n".join(store.queries)


async def test_a_claim_reads_through_indexes_and_waits_for_the_disk_twice(running, people):
    services = running.services
    bert = people(202, "Bert")
    await join_as_member(services, bert, "Bert")
    anna, emma, ref = await _claimed(running, people)
    offer_to_bert = bert.last()
    db = services.core.db
    async with Recorder(db) as claim:
        await anna.press_data(f"claim:{ref}", anna.last())
    assert "Good news" in emma.last().text
    assert offer_to_bert.edits == 1 and "taken by another listener" in offer_to_bert.text
    assert await claim.whole_table_reads() == {}
    # The update stored, and the claim: what it sends (the requester told, what they wrote
    # handed over, the other offers edited) is marked in flight in the claim's own transaction.
    assert claim.fsyncs() == 2, claim.statements


async def test_a_claim_costs_the_same_trips_to_the_database_however_many_offers_it_withdraws(running, people):
    """The other listeners' offers are rewritten or edited in three statements, not three each."""
    services = running.services
    trips = []
    for round_, others in enumerate((1, 4)):
        names = [f"L{round_}{n}" for n in range(others)]
        listeners = [people(400 + 10 * round_ + n, name) for n, name in enumerate(names)]
        for listener, name in zip(listeners, names):
            await join_as_member(services, listener, name)
        anna = people(200 + round_, f"Anna{round_}")
        await join_as_member(services, anna, f"Anna{round_}")
        emma = people(300 + round_, f"Emma{round_}")
        ref = await ask_for_conversation(emma, first_message="hello")
        offer = next(m for m in reversed(anna.inbox()) if f"claim:{ref}" in m.button_data())
        async with Recorder(services.core.db) as claim:
            await anna.press_data(f"claim:{ref}", offer)
        assert "Good news" in emma.last().text
        assert all("taken by another listener" in listener.last().text for listener in listeners)
        trips.append(claim.trips)
    assert trips[0] == trips[1], trips


async def test_the_sweep_reads_only_what_is_due_through_indexes(running, people):
    anna, emma, ref = await _claimed(running, people)
    await anna.press_data(f"claim:{ref}", anna.last())
    services = running.services
    await services.promise.sweep()
    with time_machine.travel(clock.now() + timedelta(hours=9), tick=False):
        async with Recorder(services.core.db, small_tables=("rota",)) as sweep:
            report = await services.promise.sweep()
        assert report.steps == {"confirm": 1}
        assert await sweep.whole_table_reads() == {}
        async with Recorder(services.core.db, small_tables=("rota",)) as quiet:
            assert (await services.promise.sweep()).steps == {}
        assert await quiet.whole_table_reads() == {}
        assert not any(q.startswith("SELECT * FROM requests WHERE id") for q in quiet.queries)  # nothing was due


async def test_the_removals_sweep_reads_only_what_is_due_through_an_index(running):
    """Every minute the bot looks for coordinators' removals whose delay is over: through the index
    of agreed removals, never along every proposal ever made."""
    async with Recorder(running.services.core.db) as sweep:
        assert await running.services.membership.carry_out_removals() == 0
    assert await sweep.whole_table_reads() == {}
    assert len(sweep.queries) == 1


async def test_a_digest_counts_through_indexes(running, people):
    anna, emma, ref = await _claimed(running, people)
    services = running.services
    s = services.settings
    slot = slot_of_week(week_label(clock.now().date() + timedelta(days=7)), s.digest_weekday, s.digest_time, s.timezone)
    # One row per week or per month, or per department and theme the digests reported (signals,
    # read as s), never per case: these may be read whole.
    async with Recorder(services.core.db, small_tables=("digests", "review_rounds", "s", "figure_periods",
                                                         "releases")) as digest:
        await services.digests.build(slot, slot.at)
    assert await digest.whole_table_reads() == {}


async def test_cases_reads_every_case_and_its_tags_at_once(running, people):
    """/cases costs the same statements for one case as for three: the cases and their tags are
    read together, not each case again for its tags."""
    services = running.services
    anna = people(201, "Anna")
    await join_as_member(services, anna, "Anna")
    listener = await services.core.people.find(201)
    statements = []
    for n, user_id in enumerate((301, 302, 303)):
        ref = await ask_for_conversation(people(user_id, f"Emma{n}"), first_message="hello")
        await anna.press_data(f"claim:{ref}", anna.last())
        await services.casework.set_theme(listener, ref, "workload", True)  # tags there to read
        if n in (0, 2):
            async with Recorder(services.core.db) as cases:
                await anna.send("/cases")
            cards = [m for m in anna.inbox()[-(n + 1):] if any(d.startswith("notes:") for d in m.button_data())]
            assert len(cards) == n + 1 and all("workload" in m.text.lower() for m in cards), anna.texts()
            assert await cases.whole_table_reads() == {}
            statements.append(len(cases.queries))
    assert statements[0] == statements[1], statements
