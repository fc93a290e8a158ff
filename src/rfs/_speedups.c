/*
 * rfs._speedups: C versions of Result, Success and Failure for rfs.result (and, from
 * _keyword_aliases.c, the KeywordAliases wrapper behind rfs._aliases).
 *
 * Only the hot path lives here: construction (vectorcall, with a small free list), the
 * value/error slot, the comparison/hash/repr/str/bool/pickle slots and the chaining methods
 * (map, bind, ...). Every other method is written once, in Python, in rfs/result.py, and
 * copied onto these types by accelerate(). _keyword_aliases.c and _pending.c (the metrics
 * recorder) are compiled into it too. Setting RFS_PURE_PYTHON=1 skips this module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* In _keyword_aliases.c, compiled into this extension: adds KeywordAliases to the module. */
int rfs_add_keyword_aliases(PyObject *module);
/* In _pending.c: adds Pending and fold_doubles (rfs.monitoring's hot path) to the module. */
int rfs_add_pending(PyObject *module);

typedef struct {
    PyObject_HEAD
    PyObject *content; /* Success.value or Failure.error */
} Variant;

static PyTypeObject ResultType;
static PyTypeObject SuccessType;
static PyTypeObject FailureType;

/* Construction ------------------------------------------------------------------------ */

/* Freed Success and Failure objects are kept for reuse (exact types only): a chain
 * allocates and frees one per step, and the allocator is most of a step's cost. */
#define FREE_MAX 128
#if PY_VERSION_HEX < 0x030D0000
#define NEW_REFERENCE(op) _Py_NewReference(op)
#else
#define NEW_REFERENCE(op) (void)PyObject_Init((op), Py_TYPE(op))
#endif
static Variant *free_list[2][FREE_MAX];
static int free_count[2];

static inline int
free_slot(PyTypeObject *type)
{
    return type == &SuccessType ? 0 : (type == &FailureType ? 1 : -1);
}

static PyObject *
variant_make(PyTypeObject *type, PyObject *content)
{
    int slot = free_slot(type);
    Variant *self;
    if (slot < 0) { /* a subclass: the generic path (tracked by the GC) */
        self = (Variant *)type->tp_alloc(type, 0);
        if (self == NULL) {
            return NULL;
        }
        Py_INCREF(content);
        self->content = content;
        return (PyObject *)self;
    }
    if (free_count[slot] > 0) {
        self = free_list[slot][--free_count[slot]];
        NEW_REFERENCE((PyObject *)self); /* ob_type is still set: a static type */
    }
    else {
        self = PyObject_GC_New(Variant, type);
        if (self == NULL) {
            return NULL;
        }
    }
    Py_INCREF(content);
    self->content = content;
    /* Only content that can take part in a reference cycle needs the GC to see us. */
    if (PyObject_IS_GC(content)) {
        PyObject_GC_Track(self);
    }
    return (PyObject *)self;
}

static PyObject *
variant_vectorcall(PyObject *type, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    if (nargs != 1 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s() takes exactly one positional argument",
                     ((PyTypeObject *)type)->tp_name);
        return NULL;
    }
    return variant_make((PyTypeObject *)type, args[0]);
}

static PyObject *
variant_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *content;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_Format(PyExc_TypeError, "%s() takes no keyword arguments", type->tp_name);
        return NULL;
    }
    if (!PyArg_UnpackTuple(args, type->tp_name, 1, 1, &content)) {
        return NULL;
    }
    return variant_make(type, content);
}

static int
variant_traverse(Variant *self, visitproc visit, void *arg)
{
    Py_VISIT(self->content);
    return 0;
}

static int
variant_clear(Variant *self)
{
    Py_CLEAR(self->content);
    return 0;
}

static inline void
variant_release(Variant *self)
{
    int slot = free_slot(Py_TYPE(self));
    if (slot >= 0 && free_count[slot] < FREE_MAX) {
        free_list[slot][free_count[slot]++] = self;
    }
    else {
        Py_TYPE(self)->tp_free((PyObject *)self);
    }
}

static void
variant_dealloc(Variant *self)
{
    PyObject *content = self->content;
    if (content == NULL || !PyObject_IS_GC(content)) {
        /* Nothing nested can be freed through us: no trashcan needed. */
        PyObject_GC_UnTrack(self);
        self->content = NULL;
        Py_XDECREF(content);
        variant_release(self);
        return;
    }
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, variant_dealloc)
    Py_CLEAR(self->content);
    variant_release(self);
    Py_TRASHCAN_END
}

/* Value semantics --------------------------------------------------------------------- */

static PyObject *
variant_richcompare(Variant *self, PyObject *other, int op)
{
    if (op != Py_EQ && op != Py_NE) {
        Py_RETURN_NOTIMPLEMENTED;
    }
    if (Py_TYPE(other) != Py_TYPE(self)) {
        return PyBool_FromLong(op == Py_NE);
    }
    return PyObject_RichCompare(self->content, ((Variant *)other)->content, op);
}

static Py_hash_t
variant_hash(Variant *self)
{
    PyObject *key = PyTuple_Pack(2, (PyObject *)Py_TYPE(self), self->content);
    if (key == NULL) {
        return -1;
    }
    Py_hash_t hash = PyObject_Hash(key);
    Py_DECREF(key);
    return hash;
}

static PyObject *
variant_repr(Variant *self)
{
    return PyUnicode_FromFormat("%s(%R)", _PyType_Name(Py_TYPE(self)), self->content);
}

/* str() as RFS v4 printed it: Success(x) for Success("x"); repr() stays unambiguous. */
static PyObject *
variant_str(Variant *self)
{
    return PyUnicode_FromFormat("%s(%S)", _PyType_Name(Py_TYPE(self)), self->content);
}

static PyObject *
variant_reduce(Variant *self, PyObject *Py_UNUSED(ignored))
{
    return Py_BuildValue("O(O)", (PyObject *)Py_TYPE(self), self->content);
}

/* bool(result) raises: `if result:` is ambiguous (v4 always said True). The message is
 * the one rfs.result's Python __bool__ gives, set by accelerate(). */
static PyObject *bool_message = NULL;

static int
variant_bool(PyObject *self)
{
    PyErr_SetObject(PyExc_TypeError, bool_message);
    return -1;
}

static PyNumberMethods variant_as_number = {.nb_bool = variant_bool};

/* Chaining ---------------------------------------------------------------------------- */

static PyObject *
return_self(PyObject *self, PyObject *Py_UNUSED(fn))
{
    Py_INCREF(self);
    return self;
}

static PyObject *
return_true(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_RETURN_TRUE;
}

static PyObject *
return_false(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_RETURN_FALSE;
}

static PyObject *
return_none(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    Py_RETURN_NONE;
}

static PyObject *
return_content(Variant *self, PyObject *Py_UNUSED(ignored))
{
    Py_INCREF(self->content);
    return self->content;
}

/* fn(content): a Python function is called through its vectorcall directly (it always
 * sets an exception with a NULL result, so CPython's result check can be skipped). */
static inline PyObject *
call_one(PyObject *fn, PyObject *arg)
{
    vectorcallfunc call = PyFunction_Check(fn) ? PyVectorcall_Function(fn) : NULL;
    if (call == NULL) {
        return PyObject_CallOneArg(fn, arg);
    }
    PyObject *stack[2] = {NULL, arg};
    return call(fn, stack + 1, 1 | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *
apply_and_wrap(Variant *self, PyObject *fn)
{
    PyObject *value = call_one(fn, self->content);
    if (value == NULL) {
        return NULL;
    }
    PyObject *result = variant_make(Py_TYPE(self), value);
    Py_DECREF(value);
    return result;
}

static PyObject *
apply(Variant *self, PyObject *fn)
{
    return call_one(fn, self->content);
}

static PyObject *
apply_and_return_self(Variant *self, PyObject *fn)
{
    PyObject *ignored = call_one(fn, self->content);
    if (ignored == NULL) {
        return NULL;
    }
    Py_DECREF(ignored);
    Py_INCREF(self);
    return (PyObject *)self;
}

static PyObject *
return_self_fastcall(PyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    Py_INCREF(self);
    return self;
}

#define CLASS_GETITEM {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, NULL}
#define REDUCE {"__reduce__", (PyCFunction)variant_reduce, METH_NOARGS, NULL}

static PyMethodDef success_methods[] = {
    {"map", (PyCFunction)apply_and_wrap, METH_O, "Success(fn(value))."},
    {"bind", (PyCFunction)apply, METH_O, "fn(value), a Result."},
    {"flat_map", (PyCFunction)apply, METH_O, "Alias of bind."},
    {"tap", (PyCFunction)apply_and_return_self, METH_O, "Run fn(value); return self."},
    {"map_error", return_self, METH_O, "self."},
    {"or_else", return_self, METH_O, "self."},
    {"tap_error", return_self, METH_O, "self."},
    {"is_success", return_true, METH_NOARGS, "True."},
    {"is_failure", return_false, METH_NOARGS, "False."},
    {"unwrap", (PyCFunction)return_content, METH_NOARGS, "The value."},
    {"get", (PyCFunction)return_content, METH_NOARGS, "The value."},
    {"get_or_none", (PyCFunction)return_content, METH_NOARGS, "The value."},
    {"get_error", return_none, METH_NOARGS, "None."},
    REDUCE,
    CLASS_GETITEM,
    {NULL, NULL, 0, NULL},
};

static PyMethodDef failure_methods[] = {
    {"map", return_self, METH_O, "self."},
    {"bind", return_self, METH_O, "self."},
    {"flat_map", return_self, METH_O, "self."},
    {"tap", return_self, METH_O, "self."},
    {"filter", (PyCFunction)(void (*)(void))return_self_fastcall, METH_FASTCALL, "self."},
    {"ensure", (PyCFunction)(void (*)(void))return_self_fastcall, METH_FASTCALL, "self."},
    {"map_error", (PyCFunction)apply_and_wrap, METH_O, "Failure(fn(error))."},
    {"or_else", (PyCFunction)apply, METH_O, "fn(error), a Result."},
    {"tap_error", (PyCFunction)apply_and_return_self, METH_O, "Run fn(error); return self."},
    {"is_success", return_false, METH_NOARGS, "False."},
    {"is_failure", return_true, METH_NOARGS, "True."},
    {"unwrap_error", (PyCFunction)return_content, METH_NOARGS, "The error."},
    {"get_error", (PyCFunction)return_content, METH_NOARGS, "The error."},
    {"get", return_none, METH_NOARGS, "None."},
    {"get_or_none", return_none, METH_NOARGS, "None."},
    REDUCE,
    CLASS_GETITEM,
    {NULL, NULL, 0, NULL},
};

static PyMethodDef result_methods[] = {CLASS_GETITEM, {NULL, NULL, 0, NULL}};

static PyMemberDef success_members[] = {
    {"value", T_OBJECT, offsetof(Variant, content), READONLY, "The successful value."},
    {NULL, 0, 0, 0, NULL},
};

static PyMemberDef failure_members[] = {
    {"error", T_OBJECT, offsetof(Variant, content), READONLY, "The error."},
    {NULL, 0, 0, 0, NULL},
};

/* Types ------------------------------------------------------------------------------- */

static PyTypeObject ResultType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rfs.result.Result",
    .tp_basicsize = sizeof(PyObject),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "Base of Success and Failure, for isinstance checks and Result[T, E].",
    .tp_methods = result_methods,
};

#define VARIANT_SLOTS                                              \
    .tp_basicsize = sizeof(Variant),                               \
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE |         \
                Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,   \
    .tp_base = &ResultType,                                        \
    .tp_new = variant_new,                                         \
    .tp_vectorcall = variant_vectorcall,                           \
    .tp_dealloc = (destructor)variant_dealloc,                     \
    .tp_traverse = (traverseproc)variant_traverse,                 \
    .tp_clear = (inquiry)variant_clear,                            \
    .tp_richcompare = (richcmpfunc)variant_richcompare,            \
    .tp_hash = (hashfunc)variant_hash,                             \
    .tp_repr = (reprfunc)variant_repr,                             \
    .tp_str = (reprfunc)variant_str,                               \
    .tp_as_number = &variant_as_number

static PyTypeObject SuccessType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rfs.result.Success",
    .tp_doc = "The successful variant, holding ``value``.",
    .tp_methods = success_methods,
    .tp_members = success_members,
    VARIANT_SLOTS,
};

static PyTypeObject FailureType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rfs.result.Failure",
    .tp_doc = "The failed variant, holding ``error``.",
    .tp_methods = failure_methods,
    .tp_members = failure_members,
    VARIANT_SLOTS,
};

/* accelerate(): copy the Python-only methods onto the C types --------------------------- */

static int
copy_missing(PyTypeObject *target, PyObject *source)
{
    PyObject *source_dict = PyObject_GetAttrString(source, "__dict__");
    if (source_dict == NULL) {
        return -1;
    }
    PyObject *items = PyMapping_Items(source_dict);
    Py_DECREF(source_dict);
    if (items == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        PyObject *name = PyTuple_GET_ITEM(pair, 0);
        PyObject *value = PyTuple_GET_ITEM(pair, 1);
        int is_dunder = PyUnicode_Check(name) && PyUnicode_GET_LENGTH(name) > 4 &&
                        PyUnicode_READ_CHAR(name, 0) == '_' && PyUnicode_READ_CHAR(name, 1) == '_';
        int keep = !is_dunder || PyUnicode_CompareWithASCIIString(name, "__match_args__") == 0;
        if (!keep || PyDict_Contains(target->tp_dict, name)) {
            continue;
        }
        if (PyDict_SetItem(target->tp_dict, name, value) < 0) {
            Py_DECREF(items);
            return -1;
        }
    }
    Py_DECREF(items);
    PyType_Modified(target);
    return 0;
}

static PyObject *
accelerate(PyObject *module, PyObject *args)
{
    PyObject *success, *failure, *message;
    if (!PyArg_ParseTuple(args, "OOU:accelerate", &success, &failure, &message)) {
        return NULL;
    }
    if (copy_missing(&SuccessType, success) < 0 || copy_missing(&FailureType, failure) < 0) {
        return NULL;
    }
    Py_INCREF(message);
    Py_XSETREF(bool_message, message);
    return Py_BuildValue("OOO", &ResultType, &SuccessType, &FailureType);
}

/* allocate(cls): object.__new__(cls) through vectorcall (no argument tuple), for Python
 * classes that build many small instances (MonoResult's step nodes). */
static PyObject *
allocate(PyObject *module, PyObject *cls)
{
    if (!PyType_Check(cls)) {
        PyErr_Format(PyExc_TypeError, "allocate() needs a class, got %R", cls);
        return NULL;
    }
    PyTypeObject *type = (PyTypeObject *)cls;
    if (type->tp_new != PyBaseObject_Type.tp_new || type->tp_alloc == NULL) {
        PyErr_Format(PyExc_TypeError, "allocate() needs a class using object.__new__, got %R", cls);
        return NULL;
    }
    return type->tp_alloc(type, 0);
}

static PyMethodDef module_methods[] = {
    {"allocate", allocate, METH_O, "allocate(cls): object.__new__(cls), without an argument tuple."},
    {"accelerate", accelerate, METH_VARARGS,
     "accelerate(Success, Failure, bool_message) -> (Result, Success, Failure) C types "
     "carrying every method of the Python classes."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "rfs._speedups", "C hot path for rfs.result, rfs._aliases and rfs.monitoring.", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    if (PyType_Ready(&ResultType) < 0 || PyType_Ready(&SuccessType) < 0 ||
        PyType_Ready(&FailureType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    if (rfs_add_keyword_aliases(module) < 0 || rfs_add_pending(module) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
