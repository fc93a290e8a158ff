/*
 * KeywordAliases for rfs._speedups (see _speedups.c): the C side of rfs._aliases.accepts.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

/* KeywordAliases: a callable accepting other keyword names for some parameters --------- */

/* KeywordAliases(func, {"old": "new"}) calls func, renaming keyword "old" to "new". A call
 * without keywords is forwarded as it is (vectorcall, no copy), so the wrapper costs one C
 * indirection. It binds like a function (Py_TPFLAGS_METHOD_DESCRIPTOR) and forwards other
 * attributes (__name__, __code__...) to func; inspect.signature follows __wrapped__. */
typedef struct {
    PyObject_HEAD
    PyObject *func;
    PyObject *aliases;
    vectorcallfunc vectorcall;
} Aliases;

static PyObject *
aliases_vectorcall(Aliases *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    if (kwnames == NULL) {
        return PyObject_Vectorcall(self->func, args, nargsf, NULL);
    }
    Py_ssize_t count = PyTuple_GET_SIZE(kwnames);
    PyObject *renamed = NULL;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *target = PyDict_GetItemWithError(self->aliases, PyTuple_GET_ITEM(kwnames, i));
        if (target == NULL) {
            if (PyErr_Occurred()) {
                Py_XDECREF(renamed);
                return NULL;
            }
            continue;
        }
        if (renamed == NULL) { /* a new tuple: kwnames is often a code constant */
            renamed = PyTuple_New(count);
            if (renamed == NULL) {
                return NULL;
            }
            for (Py_ssize_t j = 0; j < count; j++) {
                PyObject *name = PyTuple_GET_ITEM(kwnames, j);
                Py_INCREF(name);
                PyTuple_SET_ITEM(renamed, j, name);
            }
        }
        Py_INCREF(target);
        Py_SETREF(((PyTupleObject *)renamed)->ob_item[i], target);
    }
    if (renamed == NULL) {
        return PyObject_Vectorcall(self->func, args, nargsf, kwnames);
    }
    PyObject *result = PyObject_Vectorcall(self->func, args, nargsf, renamed);
    Py_DECREF(renamed);
    return result;
}

static PyObject *
aliases_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *func, *aliases;
    if (kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) {
        PyErr_SetString(PyExc_TypeError, "KeywordAliases() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "OO!:KeywordAliases", &func, &PyDict_Type, &aliases)) {
        return NULL;
    }
    if (!PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError, "KeywordAliases needs a callable, got %R", func);
        return NULL;
    }
    Aliases *self = PyObject_GC_New(Aliases, type);
    if (self == NULL) {
        return NULL;
    }
    Py_INCREF(func);
    self->func = func;
    self->aliases = PyDict_Copy(aliases);
    self->vectorcall = (vectorcallfunc)aliases_vectorcall;
    if (self->aliases == NULL) {
        Py_DECREF(self);
        return NULL;
    }
    PyObject_GC_Track(self);
    return (PyObject *)self;
}

static int
aliases_traverse(Aliases *self, visitproc visit, void *arg)
{
    Py_VISIT(self->func);
    Py_VISIT(self->aliases);
    return 0;
}

static int
aliases_clear(Aliases *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->aliases);
    return 0;
}

static void
aliases_dealloc(Aliases *self)
{
    PyObject_GC_UnTrack(self);
    aliases_clear(self);
    PyObject_GC_Del(self);
}

static PyObject *
aliases_get(PyObject *self, PyObject *obj, PyObject *type)
{
    if (obj == NULL || obj == Py_None) {
        Py_INCREF(self);
        return self;
    }
    return PyMethod_New(self, obj);
}

static PyObject *
aliases_getattro(PyObject *self, PyObject *name)
{
    PyObject *value = PyObject_GenericGetAttr(self, name);
    if (value != NULL || !PyErr_ExceptionMatches(PyExc_AttributeError)) {
        return value;
    }
    PyErr_Clear();
    return PyObject_GetAttr(((Aliases *)self)->func, name);
}

static PyObject *
aliases_doc(Aliases *self, void *Py_UNUSED(closure))
{
    return PyObject_GetAttrString(self->func, "__doc__");
}

static PyObject *
aliases_repr(Aliases *self)
{
    return PyUnicode_FromFormat("<KeywordAliases %R of %R>", self->aliases, self->func);
}

static PyMemberDef aliases_members[] = {
    {"__wrapped__", T_OBJECT, offsetof(Aliases, func), READONLY, "The wrapped callable."},
    {"aliases", T_OBJECT, offsetof(Aliases, aliases), READONLY, "{accepted name: real name}."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef aliases_getset[] = {
    {"__doc__", (getter)aliases_doc, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject AliasesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "rfs._speedups.KeywordAliases",
    .tp_basicsize = sizeof(Aliases),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL |
                Py_TPFLAGS_METHOD_DESCRIPTOR,
    .tp_doc = "KeywordAliases(func, {'old': 'new'}): func, also accepting old keyword names.",
    .tp_new = aliases_new,
    .tp_vectorcall_offset = offsetof(Aliases, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_descr_get = aliases_get,
    .tp_getattro = aliases_getattro,
    .tp_repr = (reprfunc)aliases_repr,
    .tp_dealloc = (destructor)aliases_dealloc,
    .tp_traverse = (traverseproc)aliases_traverse,
    .tp_clear = (inquiry)aliases_clear,
    .tp_members = aliases_members,
    .tp_getset = aliases_getset,
};


int
rfs_add_keyword_aliases(PyObject *module)
{
    if (PyType_Ready(&AliasesType) < 0) {
        return -1;
    }
    Py_INCREF(&AliasesType);
    if (PyModule_AddObject(module, "KeywordAliases", (PyObject *)&AliasesType) < 0) {
        Py_DECREF(&AliasesType);
        return -1;
    }
    return 0;
}
