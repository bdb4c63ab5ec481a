# The flow engine's runtime in Python: the expression language, templates, JSONPath, and the
# graph runner, written to give the same results as the engine (Sources/Platform/FlowEngine).
# Exported flows embed this file; it needs the standard library, plus `requests` for
# http_request nodes.
import json
import math
import sys
import time

MAX_STEPS = 100000
ROOT = "\x00root"
MAX_STRING = 1000000
MAX_COLLECTION = 100000


class Failure(Exception):
    pass


class NodeFailure(Exception):
    def __init__(self, message, retryable=True):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


# --- values -----------------------------------------------------------------------------------

def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "unknown"


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def truthy(v):
    if v is None or v is False:
        return False
    if v is True:
        return True
    if is_number(v):
        return v != 0
    if isinstance(v, (str, list, dict)):
        return len(v) > 0
    return True


def equal(a, b):
    if is_number(a) and is_number(b):
        return a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return len(a) == len(b) and all(k in b and equal(a[k], b[k]) for k in a)
    if type_name(a) != type_name(b):
        return False
    return a == b


def format_double(x):
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(float(x))


def to_json(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), allow_nan=False)


def text(v):
    if isinstance(v, str):
        return v
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format_double(v)
    return to_json(v)


def compare(a, b):
    if is_number(a) and is_number(b):
        return -1 if a < b else (1 if a > b else 0)
    if isinstance(a, str) and isinstance(b, str):
        return -1 if a < b else (1 if a > b else 0)
    raise Failure("cannot compare %s with %s" % (type_name(a), type_name(b)))


INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1


def checked(n):
    if n < INT_MIN or n > INT_MAX:
        raise Failure("the number is out of range")
    return n


def binary(op, a, b):
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    if op in ("<", "<=", ">", ">="):
        c = compare(a, b)
        return {"<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]
    if op == "in":
        if isinstance(b, list):
            return any(equal(x, a) for x in b)
        if isinstance(b, dict):
            return isinstance(a, str) and a in b
        if isinstance(b, str):
            if not isinstance(a, str):
                raise Failure("'in' a string needs a string")
            return a in b
        raise Failure("'in' needs an array, an object or a string, not %s" % type_name(b))
    if op == "+":
        if type_name(a) == "int" and type_name(b) == "int":
            return checked(a + b)
        if isinstance(a, str) and isinstance(b, str):
            if len((a + b).encode("utf-8")) > MAX_STRING:
                raise Failure("the text is too long")
            return a + b
        if isinstance(a, list) and isinstance(b, list):
            if len(a) + len(b) > MAX_COLLECTION:
                raise Failure("the array is too long")
            return a + b
        if is_number(a) and is_number(b):
            return float(a) + float(b)
        raise Failure("cannot add %s and %s" % (type_name(a), type_name(b)))
    if op in ("-", "*", "/", "%"):
        if type_name(a) == "int" and type_name(b) == "int":
            if op == "-":
                return checked(a - b)
            if op == "*":
                return checked(a * b)
            if op == "%":
                if b == 0:
                    raise Failure("division by zero")
                return a % b
        if not (is_number(a) and is_number(b)):
            raise Failure("cannot apply %s to %s and %s" % (op, type_name(a), type_name(b)))
        a, b = float(a), float(b)
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if b == 0:
            raise Failure("division by zero")
        if op == "/":
            return a / b
        return a - math.floor(a / b) * b
    raise Failure("unknown operator " + op)


def subscripted(v, i):
    if v is None:
        return None
    if isinstance(v, list) and type_name(i) == "int":
        j = i + len(v) if i < 0 else i
        return v[j] if 0 <= j < len(v) else None
    if isinstance(v, str) and type_name(i) == "int":
        j = i + len(v) if i < 0 else i
        return v[j] if 0 <= j < len(v) else None
    if isinstance(v, dict) and isinstance(i, str):
        return v.get(i)
    raise Failure("cannot index %s with %s" % (type_name(v), type_name(i)))


# --- lexer and parser --------------------------------------------------------------------------

SYMBOLS = ["==", "!=", "<=", ">=", "&&", "||", "<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]", "{", "}", "=", ";"]
RESERVED = {"let", "true", "false", "null", "and", "or", "not", "in"}
FUNCTIONS = {
    "len", "lower", "upper", "trim", "contains", "startswith", "endswith", "split", "join", "replace", "keys", "values",
    "string", "number", "int", "round", "floor", "ceil", "abs", "min", "max", "sum", "get", "default", "coalesce", "range",
    "type", "log", "parse_json", "to_json", "slice", "unique", "sort", "reverse", "flatten", "pluck", "where", "has", "merge",
}


def tokens(src):
    out = []
    i, n, nesting = 0, len(src), 0
    while i < n:
        c = src[i]
        if c in " \t\r":
            i += 1
        elif c == "\n":
            if nesting == 0:
                out.append(("sym", ";", i))
            i += 1
        elif c == "#" or (c == "/" and src[i + 1:i + 2] == "/"):
            while i < n and src[i] != "\n":
                i += 1
        elif c.isdigit():
            start = i
            while i < n and src[i].isdigit():
                i += 1
            is_double = False
            if i < n and src[i] == "." and src[i + 1:i + 2].isdigit():
                is_double = True
                i += 1
                while i < n and src[i].isdigit():
                    i += 1
            if i < n and src[i] in "eE":
                j = i + 1
                if j < n and src[j] in "+-":
                    j += 1
                if j < n and src[j].isdigit():
                    is_double = True
                    i = j
                    while i < n and src[i].isdigit():
                        i += 1
            t = src[start:i]
            out.append(("num", float(t) if is_double else int(t), start))
        elif c in "\"'":
            q, start = c, i
            i += 1
            buf = []
            closed = False
            while i < n:
                d = src[i]
                if d == q:
                    closed = True
                    i += 1
                    break
                if d == "\\":
                    if i + 1 >= n:
                        break
                    e = src[i + 1]
                    i += 2
                    if e == "u":
                        buf.append(chr(int(src[i:i + 4], 16)))
                        i += 4
                        continue
                    mapping = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "\"": "\"", "'": "'"}
                    if e not in mapping:
                        raise Failure("unknown escape \\%s at %d" % (e, i - 1))
                    buf.append(mapping[e])
                    continue
                buf.append(d)
                i += 1
            if not closed:
                raise Failure("unterminated string starting at %d" % start)
            out.append(("str", "".join(buf), start))
        elif c.isalpha() or c == "_":
            start = i
            while i < n and (src[i].isalnum() or src[i] == "_"):
                i += 1
            out.append(("id", src[start:i], start))
        else:
            for s in SYMBOLS:
                if src.startswith(s, i):
                    out.append(("sym", s, i))
                    if s in "([{":
                        nesting += 1
                    if s in ")]}":
                        nesting = max(0, nesting - 1)
                    i += len(s)
                    break
            else:
                raise Failure("unexpected character '%s' at %d" % (c, i))
    out.append(("end", None, n))
    return out


class Parser:
    def __init__(self, toks):
        self.t = toks
        self.p = 0
        self.depth = 0

    def cur(self):
        return self.t[self.p]

    def adv(self):
        if self.p < len(self.t) - 1:
            self.p += 1

    def accept(self, sym):
        k, v, _ = self.cur()
        if k == "sym" and v == sym:
            self.adv()
            return True
        return False

    def word(self, w):
        k, v, _ = self.cur()
        if k == "id" and v == w:
            self.adv()
            return True
        return False

    def expect(self, sym):
        if not self.accept(sym):
            raise Failure("expected '%s' at %d" % (sym, self.cur()[2]))

    def program(self):
        stmts = []
        while True:
            while self.accept(";"):
                pass
            if self.cur()[0] == "end":
                break
            stmts.append(self.statement())
            k, v, _ = self.cur()
            if not (k == "end" or (k == "sym" and v == ";")):
                raise Failure("expected the end of the statement at %d" % self.cur()[2])
        return stmts

    def statement(self):
        k, v, _ = self.cur()
        if k == "id" and v == "let":
            self.adv()
            k, name, _ = self.cur()
            if k != "id" or name in RESERVED:
                raise Failure("expected a name after let at %d" % self.cur()[2])
            self.adv()
            self.expect("=")
            return ("assign", name, self.expression(), True)
        if k == "id" and v not in RESERVED and self.p + 1 < len(self.t) and self.t[self.p + 1][:2] == ("sym", "="):
            self.adv()
            self.adv()
            return ("assign", v, self.expression(), False)
        return ("expr", self.expression())

    def expression(self):
        self.depth += 1
        try:
            if self.depth >= 200:
                raise Failure("the expression is nested too deeply")
            cond = self.or_()
            if self.accept("?"):
                yes = self.expression()
                self.expect(":")
                no = self.expression()
                return ("ternary", cond, yes, no)
            return cond
        finally:
            self.depth -= 1

    def or_(self):
        left = self.and_()
        while self.accept("||") or self.word("or"):
            left = ("bin", "||", left, self.and_())
        return left

    def and_(self):
        left = self.not_()
        while self.accept("&&") or self.word("and"):
            left = ("bin", "&&", left, self.not_())
        return left

    def not_(self):
        if self.accept("!") or self.word("not"):
            return ("un", "!", self.not_())
        return self.comparison()

    def comparison(self):
        left = self.additive()
        for s in ["==", "!=", "<=", ">=", "<", ">"]:
            if self.accept(s):
                return ("bin", s, left, self.additive())
        if self.word("in"):
            return ("bin", "in", left, self.additive())
        return left

    def additive(self):
        left = self.multiplicative()
        while True:
            if self.accept("+"):
                left = ("bin", "+", left, self.multiplicative())
            elif self.accept("-"):
                left = ("bin", "-", left, self.multiplicative())
            else:
                return left

    def multiplicative(self):
        left = self.unary()
        while True:
            for s in ["*", "/", "%"]:
                if self.accept(s):
                    left = ("bin", s, left, self.unary())
                    break
            else:
                return left

    def unary(self):
        if self.accept("-"):
            return ("un", "-", self.unary())
        return self.postfix()

    def postfix(self):
        node = self.primary()
        while True:
            if self.accept("."):
                k, v, _ = self.cur()
                if k != "id":
                    raise Failure("expected a name after '.' at %d" % self.cur()[2])
                self.adv()
                node = ("member", node, v)
            elif self.accept("["):
                idx = self.expression()
                self.expect("]")
                node = ("index", node, idx)
            elif self.cur()[:2] == ("sym", "(") and node[0] == "name":
                self.adv()
                args = []
                if not self.accept(")"):
                    while True:
                        args.append(self.expression())
                        if not self.accept(","):
                            break
                    self.expect(")")
                if node[1] not in FUNCTIONS:
                    raise Failure("unknown function " + node[1])
                node = ("call", node[1], args)
            else:
                return node

    def primary(self):
        k, v, off = self.cur()
        if k == "num":
            self.adv()
            return ("lit", v)
        if k == "str":
            self.adv()
            return ("lit", v)
        if k == "id":
            self.adv()
            if v == "true":
                return ("lit", True)
            if v == "false":
                return ("lit", False)
            if v == "null":
                return ("lit", None)
            return ("name", v)
        if k == "sym" and v == "(":
            self.adv()
            inner = self.expression()
            self.expect(")")
            return inner
        if k == "sym" and v == "[":
            self.adv()
            items = []
            if not self.accept("]"):
                while True:
                    if self.cur()[:2] == ("sym", "]"):
                        break
                    items.append(self.expression())
                    if not self.accept(","):
                        break
                self.expect("]")
            return ("list", items)
        if k == "sym" and v == "{":
            self.adv()
            pairs = []
            if not self.accept("}"):
                while True:
                    if self.cur()[:2] == ("sym", "}"):
                        break
                    kk, key, _ = self.cur()
                    if kk not in ("str", "id"):
                        raise Failure("expected a key at %d" % self.cur()[2])
                    self.adv()
                    self.expect(":")
                    pairs.append((key, self.expression()))
                    if not self.accept(","):
                        break
                self.expect("}")
            return ("obj", pairs)
        if k == "end":
            raise Failure("unexpected end of the expression")
        raise Failure("unexpected %s at %d" % (v, off))


def parse(src):
    if len(src.encode("utf-8")) > 64 * 1024:
        raise Failure("the program is longer than 65536 bytes")
    return Parser(tokens(src)).program()


# --- interpreter -------------------------------------------------------------------------------

class Interpreter:
    def __init__(self, variables):
        self.vars = dict(variables)
        self.logs = []
        self.steps = 0

    def run(self, program):
        last = None
        for st in program:
            if st[0] == "assign":
                _, name, node, declares = st
                if not declares and name not in self.vars:
                    raise Failure("%s is not declared (use let)" % name)
                self.vars[name] = self.eval(node)
                last = None
            else:
                last = self.eval(st[1])
        return last

    def eval(self, node):
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise Failure("the program ran longer than %d steps" % MAX_STEPS)
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "name":
            if node[1] not in self.vars:
                raise Failure("unknown name " + node[1])
            return self.vars[node[1]]
        if kind == "member":
            v = self.eval(node[1])
            if isinstance(v, dict):
                return v.get(node[2])
            if v is None:
                return None
            raise Failure("cannot read .%s of %s" % (node[2], type_name(v)))
        if kind == "index":
            v = self.eval(node[1])
            return subscripted(v, self.eval(node[2]))
        if kind == "call":
            return self.call(node[1], [self.eval(a) for a in node[2]])
        if kind == "un":
            v = self.eval(node[2])
            if node[1] == "!":
                return not truthy(v)
            if type_name(v) == "int":
                return checked(-v)
            if type_name(v) == "float":
                return -v
            raise Failure("cannot negate " + type_name(v))
        if kind == "bin":
            op = node[1]
            if op == "&&":
                return truthy(self.eval(node[2])) and truthy(self.eval(node[3]))
            if op == "||":
                return truthy(self.eval(node[2])) or truthy(self.eval(node[3]))
            return binary(op, self.eval(node[2]), self.eval(node[3]))
        if kind == "ternary":
            return self.eval(node[2]) if truthy(self.eval(node[1])) else self.eval(node[3])
        if kind == "list":
            return [self.eval(i) for i in node[1]]
        if kind == "obj":
            out = {}
            for k, v in node[1]:
                out[k] = self.eval(v)
            return out
        raise Failure("bad node")

    def call(self, name, a):
        def arity(lo, hi=None):
            hi = lo if hi is None else hi
            if not (lo <= len(a) <= hi):
                raise Failure("%s takes %s argument(s)" % (name, str(lo) if lo == hi else "%d to %d" % (lo, hi)))

        def s(v):
            if not isinstance(v, str):
                raise Failure("%s needs a string, not %s" % (name, type_name(v)))
            return v

        def arr(v):
            if not isinstance(v, list):
                raise Failure("%s needs an array, not %s" % (name, type_name(v)))
            return v

        def obj(v):
            if not isinstance(v, dict):
                raise Failure("%s needs an object, not %s" % (name, type_name(v)))
            return v

        def integer(v, what):
            if type_name(v) == "int":
                return v
            if type_name(v) == "float" and v == math.floor(v) and abs(v) < 1e15:
                return int(v)
            raise Failure("%s must be an integer" % what)

        def whole(x):
            if not math.isfinite(x) or abs(x) >= 9.2e18:
                raise Failure("the number is out of range")
            return int(x)

        if name == "len":
            arity(1)
            if isinstance(a[0], (str, list, dict)):
                return len(a[0])
            raise Failure("len needs a string, an array or an object")
        if name == "lower":
            arity(1)
            return s(a[0]).lower()
        if name == "upper":
            arity(1)
            return s(a[0]).upper()
        if name == "trim":
            arity(1)
            return s(a[0]).strip()
        if name == "contains":
            arity(2)
            return binary("in", a[1], a[0])
        if name == "startswith":
            arity(2)
            return s(a[0]).startswith(s(a[1]))
        if name == "endswith":
            arity(2)
            return s(a[0]).endswith(s(a[1]))
        if name == "split":
            arity(2)
            if s(a[1]) == "":
                raise Failure("split needs a non-empty separator")
            return s(a[0]).split(a[1])
        if name == "join":
            arity(2)
            return s(a[1]).join(text(x) for x in arr(a[0]))
        if name == "replace":
            arity(3)
            t, old, new = s(a[0]), s(a[1]), s(a[2])
            if old == "":
                return t
            size = len(t.encode("utf-8")) + t.count(old) * (len(new.encode("utf-8")) - len(old.encode("utf-8")))
            if size > MAX_STRING:
                raise Failure("the text is too long")
            return t.replace(old, new)
        if name == "keys":
            arity(1)
            return sorted(obj(a[0]).keys())
        if name == "values":
            arity(1)
            o = obj(a[0])
            return [o[k] for k in sorted(o.keys())]
        if name == "string":
            arity(1)
            return text(a[0])
        if name == "number":
            arity(1)
            v = a[0]
            if is_number(v):
                return v
            if isinstance(v, bool):
                return 1 if v else 0
            if isinstance(v, str):
                t = v.strip(" ")
                try:
                    return int(t)
                except ValueError:
                    pass
                try:
                    f = float(t)
                    if math.isfinite(f):
                        return f
                except ValueError:
                    pass
                raise Failure("'%s' is not a number" % v)
            raise Failure("number needs a string, a number or a bool")
        if name == "int":
            arity(1)
            v = a[0]
            if type_name(v) == "int":
                return v
            if type_name(v) == "float":
                return whole(math.trunc(v))
            if isinstance(v, bool):
                return 1 if v else 0
            if isinstance(v, str):
                try:
                    return int(v.strip(" "))
                except ValueError:
                    raise Failure("'%s' is not an integer" % v)
            raise Failure("int needs a string, a number or a bool")
        if name == "round":
            arity(1, 2)
            if not is_number(a[0]):
                raise Failure("round needs a number")
            if len(a) == 1:
                if type_name(a[0]) == "int":
                    return a[0]
                return whole(round(a[0]))
            d = integer(a[1], "round's digits")
            if not (0 <= d <= 15):
                raise Failure("round's digits must be from 0 to 15")
            scale = 10.0 ** d
            return float(round(float(a[0]) * scale)) / scale
        if name in ("floor", "ceil"):
            arity(1)
            if type_name(a[0]) == "int":
                return a[0]
            if not is_number(a[0]):
                raise Failure("%s needs a number" % name)
            return whole(math.floor(a[0]) if name == "floor" else math.ceil(a[0]))
        if name == "abs":
            arity(1)
            if type_name(a[0]) == "int":
                return checked(abs(a[0]))
            if type_name(a[0]) == "float":
                return abs(a[0])
            raise Failure("abs needs a number")
        if name in ("min", "max"):
            if not a:
                raise Failure("%s needs values" % name)
            values = arr(a[0]) if len(a) == 1 else a
            if not values:
                raise Failure("%s of an empty array" % name)
            best = values[0]
            for v in values[1:]:
                c = compare(v, best)
                if (name == "min" and c < 0) or (name == "max" and c > 0):
                    best = v
            return best
        if name == "sum":
            arity(1)
            total = 0
            for v in arr(a[0]):
                if not is_number(v):
                    raise Failure("sum needs numbers")
                total = binary("+", total, v)
            return total
        if name == "get":
            arity(2, 3)
            v = subscripted(a[0], a[1])
            return a[2] if v is None and len(a) == 3 else v
        if name == "default":
            arity(2)
            return a[1] if a[0] is None else a[0]
        if name == "coalesce":
            for v in a:
                if v is not None:
                    return v
            return None
        if name == "range":
            arity(1, 2)
            start = integer(a[0], "range's start") if len(a) == 2 else 0
            end = integer(a[-1], "range's end")
            if end - start > MAX_COLLECTION:
                raise Failure("the range is too long")
            return list(range(start, end)) if start < end else []
        if name == "type":
            arity(1)
            return type_name(a[0])
        if name == "log":
            arity(1)
            if len(self.logs) < 1000:
                self.logs.append(text(a[0])[:10000])
            return None
        if name == "parse_json":
            arity(1)
            try:
                return json.loads(s(a[0]))
            except ValueError:
                raise Failure("parse_json: the text is not JSON")
        if name == "to_json":
            arity(1)
            return to_json(a[0])
        if name == "slice":
            arity(2, 3)
            v = a[0]
            if not isinstance(v, (list, str)):
                raise Failure("slice needs an array or a string")
            count = len(v)

            def clamp(x):
                return max(0, x + count) if x < 0 else min(x, count)

            start = clamp(integer(a[1], "slice's start"))
            end = clamp(integer(a[2], "slice's end")) if len(a) == 3 and a[2] is not None else count
            return v[start:max(start, end)]
        if name == "unique":
            arity(1)
            seen = []
            for v in arr(a[0]):
                if not any(equal(x, v) for x in seen):
                    seen.append(v)
            return seen
        if name == "sort":
            arity(1)
            import functools
            return sorted(arr(a[0]), key=functools.cmp_to_key(compare))
        if name == "reverse":
            arity(1)
            if isinstance(a[0], (list, str)):
                return a[0][::-1]
            raise Failure("reverse needs an array or a string")
        if name == "flatten":
            arity(1)
            out = []
            for v in arr(a[0]):
                if isinstance(v, list):
                    out.extend(v)
                else:
                    out.append(v)
            return out
        if name == "pluck":
            arity(2)
            key = s(a[1])
            return [x.get(key) if isinstance(x, dict) else None for x in arr(a[0])]
        if name == "where":
            arity(3)
            key = s(a[1])
            return [x for x in arr(a[0]) if isinstance(x, dict) and equal(x.get(key), a[2])]
        if name == "has":
            arity(2)
            return s(a[1]) in obj(a[0])
        if name == "merge":
            out = {}
            for v in a:
                out.update(obj(v))
            return out
        raise Failure("unknown function " + name)


def evaluate(src, scope, logs=None):
    interp = Interpreter(scope)
    value = interp.run(parse(src))
    if logs is not None:
        logs.extend(interp.logs)
    return value


# --- templates and JSONPath --------------------------------------------------------------------

def template_parts(t):
    parts = []
    rest = t
    while "{{" in rest:
        i = rest.index("{{")
        if i > 0:
            parts.append(("text", rest[:i]))
        j = rest.find("}}", i + 2)
        if j < 0:
            raise Failure("a '{{' is not closed in \"%s\"" % t[:80])
        parts.append(("expr", rest[i + 2:j].strip(" \t")))
        rest = rest[j + 2:]
    if rest:
        parts.append(("text", rest))
    return parts


def render(template, scope):
    if isinstance(template, str):
        if "{{" not in template:
            return template
        parts = template_parts(template)
        if len(parts) == 1 and parts[0][0] == "expr":
            return evaluate(parts[0][1], scope)
        return "".join(p[1] if p[0] == "text" else text(evaluate(p[1], scope)) for p in parts)
    if isinstance(template, list):
        return [render(x, scope) for x in template]
    if isinstance(template, dict):
        return {k: render(v, scope) for k, v in template.items()}
    return template


def jsonpath_steps(path):
    if not path.startswith("$"):
        raise Failure("a JSONPath starts with $")
    steps, i, n = [], 1, len(path)

    def name():
        nonlocal i
        start = i
        while i < n and (path[i].isalnum() or path[i] in "_-"):
            i += 1
        return path[start:i]

    while i < n:
        if path[i] == ".":
            if path[i + 1:i + 2] == ".":
                i += 2
                k = name()
                if not k:
                    raise Failure("'..' needs a name in " + path)
                steps.append(("desc", k))
            else:
                i += 1
                if path[i:i + 1] == "*":
                    i += 1
                    steps.append(("wild",))
                else:
                    k = name()
                    if not k:
                        raise Failure("'.' needs a name in " + path)
                    steps.append(("key", k))
        elif path[i] == "[":
            j = path.find("]", i)
            if j < 0:
                raise Failure("'[' is not closed in " + path)
            inner = path[i + 1:j].strip()
            i = j + 1
            if inner == "*":
                steps.append(("wild",))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                steps.append(("key", inner[1:-1]))
            elif ":" in inner:
                a, _, b = inner.partition(":")
                steps.append(("slice", int(a) if a.strip() else None, int(b) if b.strip() else None))
            else:
                steps.append(("index", int(inner)))
        else:
            raise Failure("unexpected '%s' in %s" % (path[i], path))
    return steps


def descend(v, key, out):
    if isinstance(v, dict):
        if key in v:
            out.append(v[key])
        for k in sorted(v.keys()):
            descend(v[k], key, out)
    elif isinstance(v, list):
        for x in v:
            descend(x, key, out)


def jsonpath_value(path, root):
    steps = jsonpath_steps(path)
    current = [root]
    for st in steps:
        nxt = []
        for v in current:
            if st[0] == "key" and isinstance(v, dict):
                if st[1] in v:
                    nxt.append(v[st[1]])
            elif st[0] == "index" and isinstance(v, list):
                j = st[1] + len(v) if st[1] < 0 else st[1]
                if 0 <= j < len(v):
                    nxt.append(v[j])
            elif st[0] == "wild" and isinstance(v, list):
                nxt.extend(v)
            elif st[0] == "wild" and isinstance(v, dict):
                nxt.extend(v[k] for k in sorted(v.keys()))
            elif st[0] == "slice" and isinstance(v, list):
                c = len(v)

                def clamp(x):
                    return max(0, x + c) if x < 0 else min(x, c)

                lo, hi = clamp(st[1] if st[1] is not None else 0), clamp(st[2] if st[2] is not None else c)
                if lo < hi:
                    nxt.extend(v[lo:hi])
            elif st[0] == "desc":
                descend(v, st[1], nxt)
        current = nxt
    definite = all(st[0] in ("key", "index") for st in steps)
    return (current[0] if current else None) if definite else current


# --- nodes and the runner ----------------------------------------------------------------------

def node_http_request(node, cfg, scope, log):
    import requests
    url = render(cfg.get("url"), scope)
    if not isinstance(url, str):
        raise NodeFailure("url must render to a string", False)
    query = render(cfg.get("query"), scope) if cfg.get("query") is not None else None
    params = [(k, text(query[k])) for k in sorted(query.keys())] if isinstance(query, dict) and query else None
    headers = {}
    rendered_headers = render(cfg.get("headers"), scope) if cfg.get("headers") is not None else None
    if isinstance(rendered_headers, dict):
        for k, v in rendered_headers.items():
            headers[k] = text(v)
    body = render(cfg.get("body"), scope) if "body" in cfg else None
    data = None
    if body is not None:
        data = (body if isinstance(body, str) else to_json(body)).encode("utf-8")
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"
    method = str(cfg.get("method") or "GET").upper()
    timeout = float(node["config"].get("timeout_seconds") or 30)
    r = requests.request(method, url, params=params, headers=headers, data=data, timeout=timeout,
                         allow_redirects=cfg.get("follow_redirects", True) is not False)
    limit = int(cfg.get("max_response_bytes") or 10 * 1024 * 1024)
    if len(r.content) > limit:
        raise NodeFailure("the answer is larger than %d bytes" % limit, False)
    parsed = r.content.decode("utf-8", "replace")
    if "json" in (r.headers.get("Content-Type") or "").lower() and r.content:
        try:
            parsed = json.loads(r.content)
        except ValueError:
            pass
    out = {"status_code": r.status_code, "headers": {k.lower(): v for k, v in r.headers.items()}, "body": parsed}
    if r.status_code >= 400 and cfg.get("fail_on_status", True) is not False:
        raise NodeFailure("HTTP %d" % r.status_code, r.status_code >= 500 or r.status_code == 429)
    return out


def set_path(doc, path, value):
    if not path:
        return value
    out = dict(doc) if isinstance(doc, dict) else {}
    out[path[0]] = set_path(out.get(path[0]), path[1:], value)
    return out


def run_kind(kind, node, scope, log, loop_body):
    cfg = {k: v for k, v in node.get("config", {}).items()
           if k not in ("retry_count", "timeout_seconds", "params", "input_mapping", "output_mapping", "label", "description", "operator_id")}

    def ev(src):
        logs = []
        try:
            return evaluate(src, scope, logs)
        except Failure as e:
            raise NodeFailure(str(e), False)
        finally:
            for line in logs:
                log(line)

    def rend(value):
        try:
            return render(value, scope)
        except Failure as e:
            raise NodeFailure(str(e), False)

    if kind == "start":
        return scope["input"]
    if kind == "end":
        return rend(cfg["output"]) if "output" in cfg else scope.get("prev")
    if kind == "condition":
        v = ev(cfg.get("expression") or "false")
        return {"result": truthy(v), "value": v}
    if kind == "transform":
        out = rend(cfg.get("template"))
        if isinstance(cfg.get("select"), str):
            return jsonpath_value(cfg["select"], out)
        return out
    if kind == "set":
        out = {}
        for key in sorted((cfg.get("values") or {}).keys()):
            out = set_path(out, key.split("."), rend(cfg["values"][key]))
        return out
    if kind == "merge":
        sources = scope.get("sources") or []
        outputs = [((scope["nodes"].get(s) or {}).get("output")) for s in sources]
        mode = cfg.get("mode") or "object"
        if mode == "array":
            return outputs
        if mode == "first":
            return outputs[0] if outputs else None
        return dict(zip(sources, outputs))
    if kind == "delay":
        seconds = float(cfg.get("seconds") or 0)
        time.sleep(seconds)
        return {"waited_seconds": seconds}
    if kind == "code":
        return ev(cfg.get("code") or "null")
    if kind == "loop":
        items = ev(cfg.get("items") or "[]")
        if not isinstance(items, list):
            raise NodeFailure("items gave %s, not an array" % type_name(items), False)
        limit = int(cfg.get("max_iterations") or 100)
        if len(items) > limit:
            raise NodeFailure("items holds %d entries; max_iterations is %d" % (len(items), limit), False)
        results = loop_body(items)
        return {"items": results, "count": len(results)}
    if kind == "http_request":
        return node_http_request(node, cfg, scope, log)
    raise NodeFailure("node type %s cannot run outside the platform" % kind, False)


class Run:
    def __init__(self, flow, input_data):
        self.flow = flow
        self.input = input_data
        self.nodes = {n["key"]: n for n in flow["nodes"]}
        self.order = [n["key"] for n in flow["nodes"]]
        self.kinds = {n["key"]: n["kind"] for n in flow["nodes"]}
        self.incoming, self.outgoing = {}, {}
        for e in flow["edges"]:
            self.incoming.setdefault(e["target"], []).append(e)
            self.outgoing.setdefault(e["source"], []).append(e)
        self.states = {k: {"status": "pending"} for k in self.order}
        self.context = {}
        self.logs = []
        self.bodies, self.back = {}, set()
        for k in self.order:
            if self.kinds[k] == "loop":
                body, frontier = set(), [e["target"] for e in self.outgoing.get(k, []) if e["condition"]["type"] == "loop_body"]
                while frontier:
                    x = frontier.pop()
                    if x == k or x in body:
                        continue
                    body.add(x)
                    frontier.extend(e["target"] for e in self.outgoing.get(x, []))
                self.bodies[k] = body
                for b in body:
                    for e in self.outgoing.get(b, []):
                        if e["target"] == k:
                            self.back.add(e["id"])
        self.body_nodes = set().union(*self.bodies.values()) if self.bodies else set()

    def fires(self, e, src):
        c = e["condition"]
        t = c["type"]
        if t == "always":
            return src["status"] in ("success", "failed")
        if t in ("on_success", "loop_done"):
            return src["status"] == "success"
        if t == "on_failure":
            return src["status"] == "failed"
        if t == "loop_body":
            return False
        if src["status"] != "success":
            return False
        expression = c["expression"]
        if self.kinds[e["source"]] == "condition" and expression in ("true", "false"):
            return truthy((src.get("output") or {}).get("result")) == (expression == "true")
        scope = {"output": src.get("output"), "input": self.input, "context": self.context}
        if isinstance(src.get("output"), dict):
            for k, v in src["output"].items():
                scope.setdefault(k, v)
        try:
            return truthy(evaluate(expression, scope))
        except Failure:
            return False

    def readiness(self, k, keys, entries):
        fired = []
        considered = 0
        for e in self.incoming.get(k, []):
            if e["id"] in self.back:
                continue
            if e["source"] not in keys:
                if e["condition"]["type"] == "loop_body" and k in entries:
                    fired.append(e["source"])
                continue
            s = self.states[e["source"]]
            if s["status"] not in ("success", "failed", "skipped"):
                return None
            considered += 1
            if self.fires(e, s):
                fired.append(e["source"])
        # A root (nothing leads into it here) runs; otherwise something must have fired.
        if considered == 0 and k not in entries:
            return [ROOT]
        return fired

    def handled(self, k):
        s = self.states[k]
        return any(e["id"] not in self.back and self.fires(e, s) for e in self.outgoing.get(k, []))

    def scope_for(self, k, fired, extra):
        nodes = {n: {"status": s["status"], "output": s.get("output"), "error": s.get("error")}
                 for n, s in self.states.items() if s["status"] in ("success", "failed", "skipped")}
        if len(fired) == 1:
            prev = self.states[fired[0]].get("output")
        elif not fired:
            prev = extra.get("item", self.input)
        else:
            prev = {f: self.states[f].get("output") for f in fired}
        scope = {"input": self.input, "nodes": nodes, "prev": prev, "context": self.context,
                 "vars": self.context.get("vars", {}), "run": {"id": None, "workflow_id": None}, "sources": list(fired)}
        scope.update(extra)
        node = self.nodes[k]
        params = node.get("config", {}).get("params", {})
        mapping = node.get("config", {}).get("input_mapping")
        if isinstance(mapping, dict) and isinstance(params, dict):
            params = dict(params)
            for name, path in mapping.items():
                try:
                    params[name] = evaluate(path, scope)
                except Failure:
                    params[name] = None
        scope["params"] = params
        return scope

    def attempt(self, k, scope):
        node = self.nodes[k]
        cfg = node.get("config", {})
        attempts = max(0, min(int(cfg.get("retry_count") or 0), 10)) + 1
        error = None
        for n in range(1, attempts + 1):
            lines = []

            def log(message, lines=lines):
                lines.append(message)

            try:
                out = run_kind(self.kinds[k], node, scope, log,
                               lambda items: self.run_loop(k, items, scope))
                self.logs.extend(lines)
                return {"status": "success", "output": out, "attempts": n}
            except NodeFailure as f:
                error = f.message
                self.logs.extend(lines)
                if n < attempts and f.retryable:
                    time.sleep(min(1.0 * (2 ** (n - 1)), 60.0))
                    continue
                return {"status": "failed", "error": error, "attempts": n}
            except Exception as e:
                error = str(e)
                if n < attempts:
                    time.sleep(min(1.0 * (2 ** (n - 1)), 60.0))
                    continue
                return {"status": "failed", "error": error, "attempts": n}
        return {"status": "failed", "error": error or "failed", "attempts": attempts}

    def schedule(self, keys, entries, extra):
        order = [k for k in self.order if k in keys]
        failure = None
        progressed = True
        while progressed:
            progressed = False
            for k in order:
                if self.states[k]["status"] != "pending" or failure:
                    continue
                fired = self.readiness(k, keys, entries)
                if fired is None:
                    continue
                progressed = True
                if not fired and k not in entries:
                    self.states[k] = {"status": "skipped"}
                    continue
                state = self.attempt(k, self.scope_for(k, [f for f in fired if f != ROOT], extra))
                self.states[k] = state
                if state["status"] == "success":
                    mapping = self.nodes[k].get("config", {}).get("output_mapping")
                    if isinstance(mapping, dict):
                        for target, selector in mapping.items():
                            try:
                                value = evaluate(selector, {"output": state["output"]})
                            except Failure:
                                continue
                            path = target.split(".")
                            if path and path[0] == "context":
                                path = path[1:]
                            if path and path[0] == "shared":
                                path = path[1:]
                            if path:
                                self.context = set_path(self.context, ["shared"] + path, value)
                nodes = dict(self.context.get("nodes") or {})
                nodes[k] = {"status": state["status"], "output": state.get("output")}
                self.context["nodes"] = nodes
                if state["status"] == "failed" and failure is None and not self.handled(k):
                    failure = (k, state.get("error") or "failed")
                break
        if failure:
            for k in order:
                if self.states[k]["status"] == "pending":
                    self.states[k] = {"status": "skipped"}
        return failure

    def output_of(self, keys):
        ordered = [k for k in self.order if k in keys]
        chosen = [k for k in ordered if self.kinds[k] == "end" and self.states[k]["status"] == "success"]
        if not chosen:
            chosen = [k for k in ordered if self.states[k]["status"] == "success" and
                      all(e["target"] not in keys or e["id"] in self.back for e in self.outgoing.get(k, []))]
        if len(chosen) == 1:
            return self.states[chosen[0]].get("output")
        return {k: self.states[k].get("output") for k in chosen}

    def run_loop(self, loop_key, items, scope):
        body = self.bodies.get(loop_key, set())
        entries = {e["target"] for e in self.outgoing.get(loop_key, []) if e["condition"]["type"] == "loop_body"}
        results_from = [e["source"] for e in self.flow["edges"] if e["target"] == loop_key and e["id"] in self.back]
        results = []
        for index, item in enumerate(items):
            for b in body:
                self.states[b] = {"status": "pending"}
            extra = {"item": item, "index": index, "loop": {"index": index, "count": len(items), "item": item}}
            failure = self.schedule(body, entries, extra)
            if failure:
                raise NodeFailure("iteration %d failed at %s: %s" % (index, failure[0], failure[1]), False)
            if not results_from:
                results.append(self.output_of(body))
            elif len(results_from) == 1:
                results.append(self.states[results_from[0]].get("output"))
            else:
                results.append({s: self.states[s].get("output") for s in results_from})
        return results

    def run(self):
        top = set(self.order) - self.body_nodes
        failure = self.schedule(top, set(), {})
        return {"status": "failed" if failure else "completed", "output": self.output_of(top),
                "failed_node": failure[0] if failure else None, "error": failure[1] if failure else None}


def main_with(flow):
    if len(sys.argv) > 1 and sys.argv[1] != "-":
        with open(sys.argv[1]) as f:
            input_data = json.load(f)
    elif not sys.stdin.isatty():
        raw = sys.stdin.read().strip()
        input_data = json.loads(raw) if raw else {}
    else:
        input_data = {}
    result = Run(flow, input_data).run()
    print(json.dumps(result["output"], sort_keys=True, ensure_ascii=True))
    if result["status"] != "completed":
        print("failed at %s: %s" % (result["failed_node"], result["error"]), file=sys.stderr)
        return 1
    return 0
