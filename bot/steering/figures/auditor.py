"""The auditor: can a reader work out a hidden figure from everything released?

Every figure is a sum of base cells, and every base cell is a count >= 0. What a reader knows
becomes bounds on sums of cells (rows): each statement of each release (an exact value, "fewer
than k", a protected range, a step, a flag), the identities the reader knows about the data (a
theme count is at most the conversations of its department and level, ...), and for one person
who is both a coordinator and a steering member, what coordinators learn case by case.

A *target* is a sum that must stay protected: every "fewer than k" statement, and sentinels, the
base cells (and natural unions of them) whose true count is 1 .. k-1 even when nothing prints them.
For each target the auditor finds the lowest and highest value it can take under all the rows
(linear programs, solved by HiGHS). The target is protected when that range holds at least two
integers (`protected`, the one criterion, so that it can be tightened in one place), or when it
cannot be above 0 (a count known to be 0 describes nobody); otherwise it is *determined* and
reported as a `Leak`.

Speed: the problem splits into connected components (cells linked through shared rows), cells
that sit in exactly the same rows are merged into one variable, and every point the solver
returns is kept as a witness: a target whose values over known feasible points already span two
integers needs no program of its own. The true counts, when the caller has them, are one more
free witness (`hint`).
"""
from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any, Hashable, Iterable, Mapping

from .model import Leak


class _ImportedOnFirstUse:
    """A module imported when one of its names is first used. numpy, scipy and HiGHS are some 60 MB
    resident, and the bot audits figures once a week, for the digest: so they are not loaded at
    start, as matplotlib is loaded only when a chart is drawn (digest/chart.py)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # found by plain lookup from now on: the audits call these thousands of times
        return value


np = _ImportedOnFirstUse("numpy")
sp = _ImportedOnFirstUse("scipy.sparse")
highspy = _ImportedOnFirstUse("highspy")

_EPS = 1e-6
Owner = tuple[str, str]  # (release label, figure key)


@dataclass(frozen=True)
class _Solved:
    fun: float | None  # the objective's optimum, None when unbounded (anything else raised)

    @property
    def unbounded(self) -> bool:
        return self.fun is None


def _highs(cost, col_lo, col_hi, matrix, row_lo, row_hi):
    """A HiGHS program: minimise cost @ x, col_lo <= x <= col_hi, row_lo <= matrix @ x <= row_hi."""
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = matrix.shape[1], matrix.shape[0]
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, col_lo, col_hi
    lp.row_lower_, lp.row_upper_ = row_lo, row_hi
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # HiGHS's presolve costs more than it saves on these many small re-solves of one program,
    # and it would throw the basis away that the next solve starts from.
    highs.setOptionValue("presolve", "off")
    highs.passModel(lp)
    return highs


_DUAL, _PRIMAL = 1, 4  # HiGHS's simplex_strategy


def _run(highs, strategy: int = _DUAL) -> _Solved:
    """Solve. A new program and one whose bounds changed start with the dual simplex (the last
    basis, if any, stays dual feasible); one whose costs changed with the primal (the basis stays
    primal feasible), a few dozen steps from the last optimum instead of hundreds from nothing."""
    highs.setOptionValue("simplex_strategy", strategy)
    highs.run()
    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return _Solved(highs.getInfo().objective_function_value)
    if status == highspy.HighsModelStatus.kUnbounded:
        return _Solved(None)
    if status == highspy.HighsModelStatus.kInfeasible:
        raise ValueError("the published figures contradict each other (infeasible)")
    raise RuntimeError(f"linear program failed: {highs.modelStatusToString(status)}")


@dataclass
class _Program:
    rows: dict[int, int]     # the problem's rows in the program: their place in it
    owners: list[Owner]
    matrix: Any              # csr: one row per program row, one column per merged variable
    lo: Any                  # the rows' bounds (-inf, inf where there is none)
    hi: Any
    highs: Any               # the HiGHS instance, kept: its basis is where the next solve starts
    columns: Any             # 0 .. width - 1, as HiGHS takes them for new costs
    loosened: bool = True    # bounds changed since the last solve (or none yet)


@dataclass
class _Row:
    terms: tuple[tuple[int, int], ...]  # (variable, coefficient)
    lo: float | None
    hi: float | None
    owner: Owner

    def bounds(self) -> tuple[float, float]:
        """The bounds as a program states them; a lower bound <= 0 on a sum of non-negative
        variables says nothing, so it is none."""
        says_lo = self.lo is not None and (self.lo > 0 or any(c < 0 for _, c in self.terms))
        return (float(self.lo) if says_lo else -math.inf, math.inf if self.hi is None else float(self.hi))

    def active(self) -> bool:
        return self.bounds() != (-math.inf, math.inf)


class Problem:
    """What a reader knows, as bounds on sums of non-negative variables (one per base cell and release)."""

    def __init__(self) -> None:
        self.variables: dict[Hashable, int] = {}
        self.rows: list[_Row] = []
        self.targets: dict[Owner, tuple[tuple[int, int], ...]] = {}

    def add(self, owner: Owner, terms: Iterable[tuple[Hashable, int]], lo, hi, *, target: bool = False) -> None:
        # A plain loop: a year's problems are built from thousands of rows for every release, and
        # a method call per term was a tenth of a release's time.
        variables, numbered = self.variables, []
        for name, coef in terms:
            v = variables.get(name)
            if v is None:
                v = variables[name] = len(variables)
            numbered.append((v, coef))
        row_terms = tuple(numbered)
        self.rows.append(_Row(row_terms, lo, hi, owner))
        if target:
            self.targets[owner] = row_terms


class _Component:
    def __init__(self, problem: Problem, variables: list[int], rows: list[int], targets: list[Owner]) -> None:
        self.problem = problem
        self.rows = rows
        self.targets = targets
        # Cells that appear in exactly the same rows are interchangeable: one variable for them.
        signature: dict[int, list[tuple[int, int]]] = {v: [] for v in variables}
        for r in rows:
            for v, c in problem.rows[r].terms:
                signature[v].append((r, c))
        merged: dict[tuple, int] = {}
        self.column = {v: merged.setdefault(tuple(sig), len(merged)) for v, sig in signature.items()}
        self.width = len(merged)
        self.target_matrix = self._matrix([problem.targets[t] for t in targets])
        self.low = np.full(len(targets), np.inf)   # lowest value seen at a feasible point
        self.high = np.full(len(targets), -np.inf)
        self.settled: set[Owner] = set()            # protected; stays so when bounds only loosen
        self._lp = None

    def _matrix(self, term_lists) -> sp.csr_matrix:
        data, ri, ci = [], [], []
        for i, terms in enumerate(term_lists):
            for v, c in terms:
                ri.append(i)
                ci.append(self.column[v])
                data.append(c)
        m = sp.csr_matrix((data, (ri, ci)), shape=(len(term_lists), self.width), dtype=float)
        m.sum_duplicates()
        return m

    def loosen(self, rows: Iterable[int]) -> None:
        """These rows of the problem were loosened: their bounds change in place, and the program
        keeps its basis (a hot start). A row not in the program said nothing, and still does not."""
        lp = self._lp
        if lp is None:
            return
        for r in rows:
            if (i := lp.rows.get(r)) is not None:
                lp.lo[i], lp.hi[i] = self.problem.rows[r].bounds()
                lp.highs.changeRowBounds(i, lp.lo[i], lp.hi[i])
                lp.loosened = True

    def point(self, values: Mapping[Hashable, float]) -> np.ndarray:
        """A feasible point of the cells (say the true counts) as a point of the merged columns.
        The matrix sums the coefficients of merged cells, so a column stands for *each* of its
        cells: the point takes their average (their sum would be too large by the merge factor,
        and then a "witness" outside the feasible set would settle a target that is pinned)."""
        x = np.zeros(self.width)
        size = np.zeros(self.width)
        for v, value in ((self.problem.variables[name], value) for name, value in values.items()):
            if v in self.column:
                x[self.column[v]] += value
                size[self.column[v]] += 1
        return x / np.maximum(size, 1)

    def _build(self) -> _Program:
        """The component's program, made once: every row that says something, as lo <= sum <= hi.
        Loosening changes its bounds in place and a new objective only its costs, so HiGHS starts
        each solve from the last one's basis instead of from nothing."""
        if self._lp is None:
            rows = [r for r in self.rows if self.problem.rows[r].active()]
            bounds = [self.problem.rows[r].bounds() for r in rows]
            matrix = self._matrix([self.problem.rows[r].terms for r in rows])
            lo = np.array([b[0] for b in bounds], dtype=float)
            hi = np.array([b[1] for b in bounds], dtype=float)
            self._lp = _Program({r: i for i, r in enumerate(rows)}, [self.problem.rows[r].owner for r in rows],
                                matrix, lo, hi,
                                _highs(np.zeros(self.width), np.zeros(self.width), np.full(self.width, np.inf),
                                       matrix, lo, hi),
                                np.arange(self.width, dtype=np.int32))
        return self._lp

    def feasible(self, x: np.ndarray) -> bool:
        """Does the point satisfy every bound of the program (so that it may serve as a witness)?"""
        lp = self._build()
        if (x < -_EPS).any():
            return False
        values = lp.matrix @ x
        return not ((values < lp.lo - _EPS).any() or (values > lp.hi + _EPS).any())

    def solve(self, c: np.ndarray) -> tuple[_Solved, set[Owner]]:
        lp = self._build()
        lp.highs.changeColsCost(self.width, lp.columns, np.asarray(c, dtype=float))
        solved = _run(lp.highs, _DUAL if lp.loosened else _PRIMAL)
        lp.loosened = False
        binding: set[Owner] = set()
        if not solved.unbounded:
            solution = lp.highs.getSolution()
            self.witness(np.asarray(solution.col_value))
            binding.update(o for o, m in zip(lp.owners, solution.row_dual) if abs(m) > 1e-9)
        return solved, binding

    def spread(self, indices: list[int]) -> None:
        """Witnesses for many targets at once: maximise sum(min(target, 1)), which spreads the
        counts thinly over as many targets as it can (and so also moves the larger ones down).
        A program of its own (one more column per target), made for the call."""
        lp = self._build()
        n = len(indices)
        t = self.target_matrix[indices]
        matrix = sp.vstack([sp.hstack([lp.matrix, sp.csr_matrix((lp.matrix.shape[0], n))]),
                            sp.hstack([-t, sp.identity(n)])], format="csr")
        highs = _highs(np.concatenate([np.zeros(self.width), -np.ones(n)]),
                       np.zeros(self.width + n), np.concatenate([np.full(self.width, np.inf), np.ones(n)]),
                       matrix, np.concatenate([lp.lo, np.full(n, -np.inf)]), np.concatenate([lp.hi, np.zeros(n)]))
        if not _run(highs).unbounded:
            self.witness(np.asarray(highs.getSolution().col_value)[: self.width])

    def witness(self, x: np.ndarray) -> None:
        values = self.target_matrix @ x
        np.minimum(self.low, values, out=self.low)
        np.maximum(self.high, values, out=self.high)

    def spans(self, i: int) -> bool:
        return protected(self.low[i], self.high[i])

    def objective(self, indices: list[int], sign: float, rng: np.random.Generator | None = None) -> np.ndarray:
        if rng is None:
            return sign * np.asarray(self.target_matrix[indices].sum(axis=0)).ravel()
        weights = rng.uniform(0.5, 1.5, len(indices))
        return sign * (self.target_matrix[indices].T @ weights)


def protected(low: float, high: float) -> bool:
    """The protection criterion: the values a target can take hold at least two integers. One
    function, so that it can be made stronger in one place (say a range that reaches 0, or three
    values), at a cost in exact figures that the tests measure."""
    if low > high:
        return False  # no point seen yet
    if math.isinf(high) or math.isinf(low):
        return True
    return math.ceil(low - _EPS) < math.floor(high + _EPS)


def nobody(high: float) -> bool:
    """A target that cannot be above 0 is no leak: a count known to be 0 describes nobody."""
    return high < 1 - _EPS


def safe(low: float, high: float) -> bool:
    """What a reader may know of a target: at least two possible values, or that it is 0."""
    return protected(low, high) or nobody(high)


@dataclass(frozen=True)
class Finding:
    leak: Leak
    binding: frozenset[Owner]  # figures whose bounds pin it: candidates to hide next


class Auditor:
    """Audits a `Problem`; bounds may be loosened (a figure hidden) and the audit repeated cheaply.

    The problem falls apart into components (figures that share no cell cannot pin each other);
    a component's program is built the first time one of its targets is audited, since a new
    release's audit looks only at the targets near it, not at the whole year."""

    def __init__(self, problem: Problem, hint: Mapping[Hashable, int] | None = None) -> None:
        self.problem = problem
        self.hint = hint
        parent = list(range(len(problem.variables)))

        def find(a: int) -> int:
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        for row in problem.rows:
            first = find(row.terms[0][0]) if row.terms else None
            for v, _ in row.terms[1:]:
                root = find(v)
                if root != first:
                    parent[root] = first
        groups: dict[int, tuple[list, list, list]] = {}
        for v in range(len(parent)):
            groups.setdefault(find(v), ([], [], []))[0].append(v)
        for r, row in enumerate(problem.rows):
            if row.terms:
                groups[find(row.terms[0][0])][1].append(r)
        for owner, terms in problem.targets.items():
            groups[find(terms[0][0])][2].append(owner)
        # Only components with a target: elsewhere nothing is hidden, nothing to audit.
        self._groups = [group for group in groups.values() if group[2]]
        self._built: dict[int, _Component] = {}
        self._names: dict[int, Hashable] | None = None  # each variable's name, by index (for the hint)
        self.home: dict[Owner, int] = {}  # the component of each figure's rows
        for index, (_, rows, _) in enumerate(self._groups):
            for r in rows:
                self.home[problem.rows[r].owner] = index

    def _component(self, index: int) -> _Component:
        comp = self._built.get(index)
        if comp is None:
            variables, rows, targets = self._groups[index]
            comp = self._built[index] = _Component(self.problem, variables, rows, targets)
            if self.hint is not None:  # the true counts are one feasible point: a free witness
                if self._names is None:
                    self._names = {i: n for n, i in self.problem.variables.items()}
                names = self._names
                x = comp.point({names[v]: self.hint.get(names[v], 0) for v in variables})
                if comp.feasible(x):
                    # (Only when it is one, checked in the program's own terms: cells not counted
                    # yet, or changed since a statement was made, must never settle a pinned target.)
                    comp.witness(x)
        return comp

    def loosen(self, owner: Owner, lo: float | None = None, hi: float | None = None) -> None:
        """Replace the bounds that `owner` contributed by looser ones (default: none at all); a
        figure held back to protect another keeps only "at least its threshold". Only ever
        loosening, so a target found protected stays protected."""
        changed = [r for r, row in enumerate(self.problem.rows) if row.owner == owner]
        for r in changed:
            row = self.problem.rows[r]
            if (lo is not None and (row.lo is None or lo > row.lo)) or \
                    (hi is not None and (row.hi is None or hi < row.hi)):
                raise ValueError(f"{owner}: bounds may only be loosened")
            row.lo, row.hi = lo, hi
        comp = self._built.get(self.home.get(owner, -1))
        if comp is not None:
            comp.loosen(changed)

    def near(self, owners: Iterable[Owner]) -> set[Owner]:
        """The targets that share a component with any of `owners`' rows: the only ones a change
        to those rows can affect."""
        found: set[Owner] = set()
        for index in {self.home[o] for o in owners if o in self.home}:
            found.update(self._groups[index][2])
        return found

    def neighbours(self, owner: Owner) -> set[Owner]:
        """Every figure in the same component as `owner`."""
        index = self.home.get(owner)
        return {self.problem.rows[r].owner for r in self._groups[index][1]} if index is not None else set()

    def findings(self, only: Iterable[Owner] | None = None) -> list[Finding]:
        wanted = None if only is None else set(only)
        found: list[Finding] = []
        for index, (_, _, targets) in enumerate(self._groups):
            if wanted is not None and wanted.isdisjoint(targets):
                continue
            comp = self._component(index)
            todo = [i for i, t in enumerate(comp.targets)
                    if t not in comp.settled and (wanted is None or t in wanted)]
            if todo:
                found.extend(self._audit(comp, todo))
        return found

    def _audit(self, comp: _Component, todo: list[int]) -> list[Finding]:
        rng = np.random.default_rng(len(todo))  # fixed seed: the same release twice gives the same answer
        # Programs that push all open targets up (or down) at once, with random weights so that
        # the vertices differ, witness most targets; stop when they stop paying off.
        for _ in range(12):
            open_ = [i for i in todo if not comp.spans(i)]
            if len(open_) <= 8:  # few left: their own programs are as cheap
                break
            comp.spread(open_)
            if len(open_) - sum(1 for i in open_ if not comp.spans(i)) < max(2, len(open_) // 10):
                break
        sign = -1.0
        for _ in range(12):
            open_ = [i for i in todo if not comp.spans(i)]
            if len(open_) <= 8:
                break
            comp.solve(comp.objective(open_, sign, rng))
            if len(open_) - sum(1 for i in open_ if not comp.spans(i)) < max(2, len(open_) // 20):
                break
            sign = -sign
        found = []
        for i in todo:
            owner = comp.targets[i]
            if comp.spans(i):
                comp.settled.add(owner)
                continue
            # Push this target hard and the other open ones a little: one program, many witnesses.
            others = [j for j in todo if j != i and not comp.spans(j)]
            if len(others) >= 10:
                res, _ = comp.solve(comp.objective([i], -1000.0) + comp.objective(others, -1.0, rng))
                if res.unbounded or comp.spans(i):
                    comp.settled.add(owner)
                    continue
            res_max, bind_max = comp.solve(comp.objective([i], -1.0))
            if res_max.unbounded or comp.spans(i) or nobody(-res_max.fun):
                comp.settled.add(owner)
                continue
            res_min, bind_min = comp.solve(comp.objective([i], 1.0))
            if comp.spans(i):
                comp.settled.add(owner)
                continue
            low, high = res_min.fun, -res_max.fun
            found.append(Finding(Leak(owner[0], owner[1], round(low, 6), round(high, 6)),
                                 frozenset(bind_max | bind_min) - {owner}))
        return found

    def ranges(self, only: Iterable[Owner] | None = None) -> dict[Owner, tuple[float, float]]:
        """Exact lowest and highest value of the targets (all, or `only` these; two programs each)."""
        wanted = None if only is None else set(only)
        out = {}
        for index, (_, _, targets) in enumerate(self._groups):
            if wanted is not None and wanted.isdisjoint(targets):
                continue
            comp = self._component(index)
            for i, owner in enumerate(comp.targets):
                if wanted is not None and owner not in wanted:
                    continue
                res_max, _ = comp.solve(comp.objective([i], -1.0))
                res_min, _ = comp.solve(comp.objective([i], 1.0))
                out[owner] = (res_min.fun, math.inf if res_max.unbounded else -res_max.fun)
        return out


def audit(problem: Problem) -> list[Leak]:
    """Targets a reader of everything in `problem` can work out. Empty when safe. Uses only what
    the problem states, never the true counts, so that tests can run it apart from the algorithm
    that made the releases."""
    return [finding.leak for finding in Auditor(problem).findings()]


def ranges(problem: Problem, owners: Iterable[Owner] | None = None) -> dict[Owner, tuple[float, float]]:
    """The lowest and highest value a reader can work out for each target (or each of `owners`,
    which must be targets of the problem)."""
    return Auditor(problem).ranges(owners)
