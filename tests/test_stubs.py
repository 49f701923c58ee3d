"""The PEP 561 stubs (ptdalgorithms/_graph.pyi, _distribution.pyi) match the compiled Cython modules.

Type checkers and IDEs read the .pyi files instead of the .pyx, so a stub that lags behind the .pyx
silently gives users wrong signatures.  These tests compare, with the stubs parsed by ``ast``:

(a) the public names (not starting with ``_``) of each runtime module / class with those of its stub,
    both ways, and whether each is a method, a static method or a property;
(b) for every function and method, the parameter names, kinds (positional / keyword-only / *args),
    which have defaults and the default values, with ``inspect.signature`` of the runtime object
    (Cython 3 compiles ``def`` functions with ``binding=True``, so this works for them).

``__init__`` of a ``cdef class`` is a slot wrapper without a signature, so ``__init__`` and the other
dunders the stubs declare are compared with the ``def`` line of the .pyx source, parsed by regex.
"""
import ast
import inspect
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ptdalgorithms._distribution as _distribution
import ptdalgorithms._graph as _graph

PKG = Path(_graph.__file__).resolve().parent
SRC = Path(__file__).resolve().parent.parent / "ptdalgorithms"
MODULES = [(_graph, "_graph"), (_distribution, "_distribution")]
OBJECT_NAMES = set(dir(object))


# ------------------------------------------------------------------------------------------ stub side

def _decorators(node):
    return {d.id if isinstance(d, ast.Name) else ast.unparse(d) for d in node.decorator_list}


def _kind_of_def(node):
    decs = _decorators(node)
    if "property" in decs:
        return "property"
    if "staticmethod" in decs:
        return "static"
    return "method"


def _params_of_ast(args: ast.arguments):
    """[(name, kind, has_default, default)] of an ast function, in inspect.Parameter kind names."""
    out = []
    positional = [(a, "POSITIONAL_ONLY") for a in args.posonlyargs] + \
                 [(a, "POSITIONAL_OR_KEYWORD") for a in args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for (a, kind), d in zip(positional, defaults):
        out.append((a.arg, kind, d is not None, ast.literal_eval(d) if d is not None else None))
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", False, None))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        out.append((a.arg, "KEYWORD_ONLY", d is not None, ast.literal_eval(d) if d is not None else None))
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", False, None))
    return out


def _defs_of_body(body):
    """{name: (kind, params or None)} of the defs and annotated names in a module or class body."""
    out = {}
    for node in body:
        if isinstance(node, ast.FunctionDef):
            kind = _kind_of_def(node)
            out[node.name] = (kind, None if kind == "property" else _params_of_ast(node.args))
        elif isinstance(node, ast.ClassDef):
            out[node.name] = ("class", node)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = ("attribute", None)
    return out


def parse_stub(text):
    return _defs_of_body(ast.parse(text).body)


# ------------------------------------------------------------------------------------------ runtime side

def _runtime_kind(cls, name):
    raw = inspect.getattr_static(cls, name)
    if isinstance(raw, staticmethod):
        return "static"
    if isinstance(raw, property) or inspect.isgetsetdescriptor(raw) or inspect.ismemberdescriptor(raw):
        return "property"
    return "method"


def _params_of_signature(sig):
    return [(p.name, p.kind.name, p.default is not inspect.Parameter.empty,
             None if p.default is inspect.Parameter.empty else p.default)
            for p in sig.parameters.values()]


def _imported_elsewhere(obj, name, modname):
    """True for names a module imports (np, namedtuple): they are not part of its API."""
    if inspect.ismodule(obj):
        return True
    home = getattr(obj, "__module__", None)
    return home != modname and getattr(sys.modules.get(home), name, None) is obj


def runtime_public_module_names(mod):
    return {n for n in dir(mod)
            if not n.startswith("_") and not _imported_elsewhere(getattr(mod, n), n, mod.__name__)}


def runtime_public_class_names(cls):
    return {n for n in dir(cls) if not n.startswith("_") and n not in OBJECT_NAMES}


# ------------------------------------------------------------------------------------------ .pyx side

def _pyx_def_params(pyx_text, class_name, method):
    """Parameters of ``def method(...)`` inside ``cdef class class_name`` of a .pyx, with C types dropped."""
    m = re.search(rf"^cdef class {class_name}\b.*?:\n(.*?)(?=^\S|\Z)", pyx_text, re.S | re.M)
    assert m, f"cdef class {class_name} not found in the .pyx"
    d = re.search(rf"^    def {method}\((.*?)\)\s*(->\s*[^:]+)?:", m.group(1), re.S | re.M)
    if d is None:
        return None
    params = []
    for p in d.group(1).split(","):   # no commas inside the defaults of these dunders
        p = p.strip()
        if p:
            # "int state_length" / "Vertex to" -> the Python name; "x=1" and "x: int = 1" stay
            head = re.split(r"[=:]", p, maxsplit=1)
            words = head[0].split()
            params.append(" ".join([words[-1]]) + p[len(head[0]):])
    fn = ast.parse(f"def f({', '.join(params)}): pass").body[0]
    return _params_of_ast(fn.args)


# ------------------------------------------------------------------------------------------ the check

def stub_mismatches(mod, stub_text, pyx_text):
    """Every difference between a compiled module and its stub, as readable strings (empty: in sync)."""
    problems = []
    stub = parse_stub(stub_text)
    stub_public = {n for n in stub if not n.startswith("_")}
    runtime_public = runtime_public_module_names(mod)
    for n in sorted(runtime_public - stub_public):
        problems.append(f"{mod.__name__}.{n} is missing from the stub")
    for n in sorted(stub_public - runtime_public):
        problems.append(f"{mod.__name__}.{n} is in the stub but not in the module")

    for name in sorted(runtime_public & stub_public):
        obj = getattr(mod, name)
        kind, node = stub[name]
        where = f"{mod.__name__}.{name}"
        if inspect.isclass(obj) and hasattr(obj, "_fields"):        # NamedTuple
            fields = [n.target.id for n in node.body
                      if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)]
            if kind != "class" or tuple(fields) != tuple(obj._fields):
                problems.append(f"{where}: stub fields {fields} != runtime {list(obj._fields)}")
        elif inspect.isclass(obj):
            if kind != "class":
                problems.append(f"{where} is a class but the stub has a {kind}")
                continue
            problems += _class_mismatches(obj, where, node, pyx_text)
        else:
            if kind != "method":
                problems.append(f"{where} is a function but the stub has a {kind}")
                continue
            runtime = _params_of_signature(inspect.signature(obj))
            if runtime != node:
                problems.append(f"{where}: stub parameters {node} != runtime {runtime}")
    return problems


def _class_mismatches(cls, where, node, pyx_text):
    problems = []
    members = _defs_of_body(node.body)
    stub_public = {n for n in members if not n.startswith("_")}
    runtime_public = runtime_public_class_names(cls)
    for n in sorted(runtime_public - stub_public):
        problems.append(f"{where}.{n} is missing from the stub")
    for n in sorted(stub_public - runtime_public):
        problems.append(f"{where}.{n} is in the stub but not in the class")
    for name in sorted(runtime_public & stub_public):
        kind, params = members[name]
        runtime_kind = _runtime_kind(cls, name)
        if kind != runtime_kind and not (kind == "attribute" and runtime_kind == "property"):
            problems.append(f"{where}.{name} is a {runtime_kind} but the stub has a {kind}")
            continue
        if runtime_kind == "property":
            continue
        runtime = _params_of_signature(inspect.signature(getattr(cls, name)))
        if runtime != params:
            problems.append(f"{where}.{name}: stub parameters {params} != runtime {runtime}")
    # Dunders the stub declares: they must exist, and those written in the .pyx must match its def line
    # (inspect.signature does not work on the slot wrappers of a cdef class).
    for name in sorted(n for n in members if n.startswith("_")):
        kind, params = members[name]
        if not hasattr(cls, name):
            problems.append(f"{where}.{name} is in the stub but not in the class")
            continue
        pyx = _pyx_def_params(pyx_text, cls.__name__, name)
        if pyx is None:
            problems.append(f"{where}.{name} is in the stub but not defined in the .pyx")
        elif pyx != params:
            problems.append(f"{where}.{name}: stub parameters {params} != .pyx {pyx}")
    return problems


# ------------------------------------------------------------------------------------------ tests

@pytest.mark.parametrize("mod,name", MODULES, ids=[n for _, n in MODULES])
def test_stub_matches_runtime(mod, name):
    stub_text = (SRC / f"{name}.pyi").read_text()
    pyx_text = (SRC / f"{name}.pyx").read_text()
    problems = stub_mismatches(mod, stub_text, pyx_text)
    assert not problems, "\n".join(problems)


def test_public_api_is_covered():
    """The names the package exports from the Cython modules have stubs (guards the checker itself)."""
    graph_stub = parse_stub((SRC / "_graph.pyi").read_text())
    dist_stub = parse_stub((SRC / "_distribution.pyi").read_text())
    for name in ("Graph", "Vertex", "Edge", "PhaseTypeMatrices"):
        assert graph_stub[name][0] == "class"
    assert dist_stub["DistributionContext"][0] == "class"
    assert {"np", "namedtuple"}.isdisjoint(runtime_public_module_names(_graph))
    assert "PhaseTypeMatrices" in runtime_public_module_names(_graph)
    assert {"pdf", "batch_cdf", "distribution_context"} <= runtime_public_module_names(_distribution)


def _edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


@pytest.mark.parametrize("old,new,expect", [
    ("    def normalize(self) -> Graph: ...\n", "", "Graph.normalize is missing"),
    ("    def defect(self) -> float: ...\n",
     "    def defect(self) -> float: ...\n    def not_there(self) -> None: ...\n",
     "Graph.not_there is in the stub"),
    ("def vertex_at(self, index: int)", "def vertex_at(self, i: int)", "Graph.vertex_at: stub parameters"),
    ("def validate(self, discrete: bool = False)", "def validate(self, discrete: bool)",
     "Graph.validate: stub parameters"),
    ("def clone(self) -> Graph", "def clone(self, *, deep: bool = True) -> Graph",
     "Graph.clone: stub parameters"),
    ("tol: float = 1e-12\n    ) -> float | NDArray[np.float64]: ...\n    def cdf(",
     "tol: float = 1e-6\n    ) -> float | NDArray[np.float64]: ...\n    def cdf(",
     "Graph.pdf: stub parameters"),
    ("        *,\n        vectorized", "        vectorized", "Graph.from_callback: stub parameters"),
    ("    @property\n    def rate(self)", "    def rate(self)", "Vertex.rate is a property"),
    ("    @staticmethod\n    def from_matrices", "    def from_matrices", "Graph.from_matrices is a static"),
    ("def __init__(self, state_length: int)", "def __init__(self, length: int)",
     "Graph.__init__: stub parameters"),
    ("    states: NDArray[np.int32]\n", "", "PhaseTypeMatrices: stub fields"),
])
def test_checker_detects_drift(old, new, expect):
    """The comparison fails for a stub that drifted from the .pyx (so the test above can fail)."""
    stub_text = (SRC / "_graph.pyi").read_text()
    pyx_text = (SRC / "_graph.pyx").read_text()
    problems = stub_mismatches(_graph, _edit(stub_text, old, new), pyx_text)
    assert any(expect in p for p in problems), problems


def test_checker_detects_drift_distribution():
    stub_text = (SRC / "_distribution.pyi").read_text()
    pyx_text = (SRC / "_distribution.pyx").read_text()
    broken = _edit(stub_text, "def step(self, dt: float | None = None)", "def step(self, dt: float)")
    broken = _edit(broken, "def __init__(self, graph: Graph, discrete: bool = False,",
                   "def __init__(self, graph: Graph, discrete: bool,")
    broken = _edit(broken, "def pmf(graph: Graph, k: ArrayLike,", "def pmf(graph: Graph, t: ArrayLike,")
    problems = "\n".join(stub_mismatches(_distribution, broken, pyx_text))
    assert "DistributionContext.step: stub parameters" in problems
    assert "DistributionContext.__init__: stub parameters" in problems
    assert "_distribution.pmf: stub parameters" in problems


def test_pep561_files_installed():
    """py.typed and the stubs exist and are installed next to the extension modules."""
    meson = (SRC / "meson.build").read_text()
    for name in ("_graph.pyi", "_distribution.pyi", "py.typed"):
        assert (SRC / name).is_file()
        assert f"'{name}'" in meson, f"{name} is not in py.install_sources of ptdalgorithms/meson.build"


MYPY_SNIPPET = """
import numpy as np
from numpy.typing import NDArray
from ptdalgorithms import DistributionContext, Graph, PhaseTypeMatrices, Vertex

g = Graph(state_length=1)
v: Vertex = g.find_or_create_vertex([1])
g.starting_vertex().add_edge(v, 1.0)
v.add_edge_parameterized(g.find_or_create_vertex([0]), 0.0, [1.0])
g.update_parameterized_weights([2.0])
mean: float = g.expectation()
m: NDArray[np.float64] = g.moments(3)
pdf = g.pdf([0.5, 1.0])
values, grads = g.pdf_and_gradient([2.0], 1.0)
vals, maybe_grads = g.batch_pdf(np.array([[1.0], [2.0]]), [1.0], gradient=False)
mats: PhaseTypeMatrices = g.as_matrices()
S: NDArray[np.float64] = mats.S
h: Graph = Graph.from_matrices(mats.alpha, mats.S).reward_transform([0.0, 2.0, 0.0]).normalize()
ctx: DistributionContext = g.distribution_context()
t: float = ctx.step(0.1).cdf
w: float | None = g.vertex_at(1).edges()[0].base_weight
s: NDArray[np.int32] = g.states()
"""

MYPY_BAD_SNIPPET = """
from ptdalgorithms import Graph

g = Graph(state_length=1)
x: str = g.expectation()
g.starting_vertex().add_edge(g, 1.0)
"""


def _mypy(tmp_path, source):
    pytest.importorskip("mypy")
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(source))
    # silent: the strictness applies to the snippet, not to the (untyped) modules it imports.
    cmd = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
           "--cache-dir", str(tmp_path / ".mypy_cache"), str(snippet)]
    return subprocess.run(cmd, cwd=SRC.parent, capture_output=True, text=True, timeout=600)


def test_mypy_strict_accepts_typical_use(tmp_path):
    r = _mypy(tmp_path, MYPY_SNIPPET)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_rejects_misuse(tmp_path):
    r = _mypy(tmp_path, MYPY_BAD_SNIPPET)
    assert r.returncode == 1, r.stdout + r.stderr
    assert 'Incompatible types in assignment (expression has type "float"' in r.stdout
    assert 'Argument 1 to "add_edge" of "Vertex" has incompatible type "Graph"' in r.stdout
