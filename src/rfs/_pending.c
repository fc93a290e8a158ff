/*
 * The metrics hot path for rfs._speedups (see _speedups.c): the C side of
 * rfs.monitoring.windows.Pending and of LogSketch.add_many (rfs.monitoring.sketch).
 *
 * Pending is the recorder a hot path calls per outcome, record(ok, duration_ms, error): a
 * clock read, a compare against the open slice's end and an append to a buffer of doubles
 * (and of the error, for a failure). The Python side folds the buffer into its windows
 * (take()) when it fills or the slice closes; Pending only calls back. fold_doubles adds a
 * buffer of doubles to a sketch's bucket dict. Both behave exactly as their pure-Python
 * versions in rfs/monitoring/windows.py and sketch.py, which the tests compare them with.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <math.h>
#include <float.h>
#include <limits.h>
#include <time.h>

#define PENDING_CAP_MAX 4096

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    double open_end;     /* records at or after this time call on_rotate(now) first */
    PyObject *clock;     /* None: the system's wall clock (time.time's), read here */
    PyObject *on_rotate; /* on_rotate(now): close the open slice, set open_end */
    PyObject *on_full;   /* on_full(): fold the buffer (calls take()) */
    PyObject *failed;    /* the errors of the buffered failures, in order */
    Py_ssize_t count, capacity;
    Py_ssize_t dropped;  /* values refused because a fold left the buffer full */
    double *values;
} Pending;

static PyObject *array_type; /* array.array, for take() */

static int
read_clock(Pending *self, double *now)
{
    if (self->clock == Py_None) {
#if defined(CLOCK_REALTIME_COARSE) /* a few ms of resolution: plenty to pick a 10 s slice */
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0) {
            *now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
            return 0;
        }
#elif defined(CLOCK_REALTIME)
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
            *now = (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
            return 0;
        }
#endif
        *now = (double)time(NULL);
        return 0;
    }
    PyObject *value = PyObject_CallNoArgs(self->clock);
    if (value == NULL) {
        return -1;
    }
    *now = PyFloat_AsDouble(value);
    Py_DECREF(value);
    return (*now == -1.0 && PyErr_Occurred()) ? -1 : 0;
}

static int
call_back(PyObject *callback, PyObject *arg)
{
    PyObject *out = arg == NULL ? PyObject_CallNoArgs(callback) : PyObject_CallOneArg(callback, arg);
    if (out == NULL) {
        return -1;
    }
    Py_DECREF(out);
    return 0;
}

/* The seconds of time.perf_counter(), read without a Python call. */
static double
perf_counter(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyTime_t t;
    (void)PyTime_PerfCounterRaw(&t);
    return PyTime_AsSecondsDouble(t);
#else
    return _PyTime_AsSecondsDouble(_PyTime_GetPerfCounter());
#endif
}

/* One outcome: rotate when the slice is over, fold when the buffer is full, append. */
static PyObject *
pending_record(Pending *self, int ok, double duration, PyObject *error)
{
    double now;
    if (read_clock(self, &now) < 0) {
        return NULL;
    }
    if (now >= self->open_end) {
        PyObject *when = PyFloat_FromDouble(now);
        if (when == NULL) {
            return NULL;
        }
        int failed = call_back(self->on_rotate, when);
        Py_DECREF(when);
        if (failed < 0) {
            return NULL;
        }
    }
    if (self->count >= self->capacity && (call_back(self->on_full, NULL) < 0 || self->count >= self->capacity)) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        self->dropped++; /* only when a fold could not empty the buffer */
        Py_RETURN_NONE;
    }
    if (!ok && PyList_Append(self->failed, error) < 0) {
        return NULL;
    }
    self->values[self->count++] = duration;
    if (self->count >= self->capacity && call_back(self->on_full, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* Parses (ok, number, error=None) of record() and since(). */
static int
parse_outcome(const char *name, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames, int *ok,
              double *number, PyObject **error)
{
    if (nargs < 2 || nargs > 3 || (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0)) {
        PyErr_Format(PyExc_TypeError, "%s takes 2 or 3 positional arguments", name);
        return -1;
    }
    *ok = args[0] == Py_True ? 1 : (args[0] == Py_False ? 0 : PyObject_IsTrue(args[0]));
    if (*ok < 0) {
        return -1;
    }
    *number = PyFloat_CheckExact(args[1]) ? PyFloat_AS_DOUBLE(args[1]) : PyFloat_AsDouble(args[1]);
    if (*number == -1.0 && PyErr_Occurred()) {
        return -1;
    }
    *error = nargs == 3 ? args[2] : Py_None;
    return 0;
}

/* record(ok, duration_ms, error=None) */
static PyObject *
pending_vectorcall(Pending *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    int ok;
    double duration;
    PyObject *error;
    if (parse_outcome("record(ok, duration_ms, error=None)", args, PyVectorcall_NARGS(nargsf), kwnames, &ok,
                      &duration, &error) < 0) {
        return NULL;
    }
    return pending_record(self, ok, duration, error);
}

/* since(ok, started, error=None): record with duration_ms = (perf_counter() - started) * 1000. */
static PyObject *
pending_since(Pending *self, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames)
{
    int ok;
    double started;
    PyObject *error;
    if (parse_outcome("since(ok, started, error=None)", args, nargs, kwnames, &ok, &started, &error) < 0) {
        return NULL;
    }
    return pending_record(self, ok, (perf_counter() - started) * 1000.0, error);
}

/* take() -> (array('d') of the buffered durations, list of the buffered errors); empties both. */
static PyObject *
pending_take(Pending *self, PyObject *Py_UNUSED(ignored))
{
    PyObject *values = PyObject_CallFunction(array_type, "sy#", "d", (const char *)self->values,
                                             (Py_ssize_t)(self->count * (Py_ssize_t)sizeof(double)));
    if (values == NULL) {
        return NULL;
    }
    PyObject *fresh = PyList_New(0);
    if (fresh == NULL) {
        Py_DECREF(values);
        return NULL;
    }
    self->count = 0;
    PyObject *failed = self->failed;
    self->failed = fresh;
    PyObject *out = PyTuple_Pack(2, values, failed);
    Py_DECREF(values);
    Py_DECREF(failed);
    return out;
}

static PyObject *
pending_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *names[] = {"capacity", "clock", "on_rotate", "on_full", NULL};
    Py_ssize_t capacity;
    PyObject *clock, *on_rotate, *on_full;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "nOOO:Pending", names, &capacity, &clock, &on_rotate,
                                     &on_full)) {
        return NULL;
    }
    if (capacity < 1 || capacity > PENDING_CAP_MAX) {
        PyErr_Format(PyExc_ValueError, "capacity is 1..%d, got %zd", PENDING_CAP_MAX, capacity);
        return NULL;
    }
    if ((clock != Py_None && !PyCallable_Check(clock)) || !PyCallable_Check(on_rotate) ||
        !PyCallable_Check(on_full)) {
        PyErr_SetString(PyExc_TypeError, "Pending needs callables (clock may be None)");
        return NULL;
    }
    Pending *self = PyObject_GC_New(Pending, type);
    if (self == NULL) {
        return NULL;
    }
    self->values = PyMem_New(double, capacity);
    self->failed = PyList_New(0);
    self->clock = Py_NewRef(clock);
    self->on_rotate = Py_NewRef(on_rotate);
    self->on_full = Py_NewRef(on_full);
    self->count = self->dropped = 0;
    self->capacity = capacity;
    self->open_end = -INFINITY;
    self->vectorcall = (vectorcallfunc)pending_vectorcall;
    PyObject_GC_Track(self);
    if (self->values == NULL || self->failed == NULL) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    return (PyObject *)self;
}

static int
pending_traverse(Pending *self, visitproc visit, void *arg)
{
    Py_VISIT(self->clock);
    Py_VISIT(self->on_rotate);
    Py_VISIT(self->on_full);
    Py_VISIT(self->failed);
    return 0;
}

static int
pending_clear(Pending *self)
{
    Py_CLEAR(self->clock);
    Py_CLEAR(self->on_rotate);
    Py_CLEAR(self->on_full);
    Py_CLEAR(self->failed);
    return 0;
}

static void
pending_dealloc(Pending *self)
{
    PyObject_GC_UnTrack(self);
    pending_clear(self);
    PyMem_Free(self->values);
    PyObject_GC_Del(self);
}

static Py_ssize_t
pending_len(Pending *self)
{
    return self->count;
}

static PyMethodDef pending_methods[] = {
    {"since", (PyCFunction)(void (*)(void))pending_since, METH_FASTCALL | METH_KEYWORDS,
     "since(ok, started, error=None): record(ok, (time.perf_counter() - started) * 1000, error)."},
    {"take", (PyCFunction)pending_take, METH_NOARGS,
     "take() -> (array('d') of the buffered durations, list of the buffered errors); empties both."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef pending_members[] = {
    {"open_end", T_DOUBLE, offsetof(Pending, open_end), 0, "Records at or after this time rotate first."},
    {"dropped", T_PYSSIZET, offsetof(Pending, dropped), READONLY, "Values refused on a full buffer."},
    {NULL, 0, 0, 0, NULL},
};

static PySequenceMethods pending_as_sequence = {.sq_length = (lenfunc)pending_len};

static PyTypeObject PendingType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "rfs._speedups.Pending",
    .tp_doc = "Pending(capacity, clock, on_rotate, on_full): record(ok, duration_ms, error) buffered.",
    .tp_basicsize = sizeof(Pending),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_new = pending_new,
    .tp_dealloc = (destructor)pending_dealloc,
    .tp_traverse = (traverseproc)pending_traverse,
    .tp_clear = (inquiry)pending_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(Pending, vectorcall),
    .tp_methods = pending_methods,
    .tp_members = pending_members,
    .tp_as_sequence = &pending_as_sequence,
};

/* fold_doubles ---------------------------------------------------------------------------- */

/* Keys of one buffer usually span a few hundred buckets: they are counted in an array over
 * their range (RANGE_MAX at most), else sorted; either way the dict is touched once per
 * distinct key, in key order. */
#define RANGE_MAX 4096

static int
add_count(PyObject *buckets, long long key, Py_ssize_t n)
{
    PyObject *k = PyLong_FromLongLong(key);
    if (k == NULL) {
        return -1;
    }
    PyObject *old = PyDict_GetItemWithError(buckets, k);
    PyObject *count = NULL;
    if (old != NULL) {
        Py_ssize_t before = PyLong_AsSsize_t(old);
        count = before == -1 && PyErr_Occurred() ? NULL : PyLong_FromSsize_t(before + n);
    }
    else if (!PyErr_Occurred()) {
        count = PyLong_FromSsize_t(n);
    }
    int failed = count == NULL || PyDict_SetItem(buckets, k, count) < 0;
    Py_XDECREF(count);
    Py_DECREF(k);
    return failed ? -1 : 0;
}

static int
compare_keys(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int
count_keys(PyObject *buckets, long long *keys, Py_ssize_t n, long long low, long long high)
{
    if (n == 0) {
        return 0;
    }
    if (high - low < RANGE_MAX) {
        Py_ssize_t counts[RANGE_MAX];
        Py_ssize_t span = (Py_ssize_t)(high - low) + 1;
        memset(counts, 0, (size_t)span * sizeof(Py_ssize_t));
        for (Py_ssize_t i = 0; i < n; i++) {
            counts[keys[i] - low]++;
        }
        for (Py_ssize_t i = 0; i < span; i++) {
            if (counts[i] != 0 && add_count(buckets, low + i, counts[i]) < 0) {
                return -1;
            }
        }
        return 0;
    }
    qsort(keys, (size_t)n, sizeof(long long), compare_keys);
    for (Py_ssize_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && keys[j] == keys[i]; j++) {
        }
        if (add_count(buckets, keys[i], j - i) < 0) {
            return -1;
        }
    }
    return 0;
}

/* fold_doubles(buckets, values, inv_log2_gamma, top_key): adds each positive value's bucket
 * ceil(log2(v) * inv_log2_gamma) (top_key for +inf) to ``buckets``; returns (count, sum, min,
 * max, zeros) of the values, a NaN counted as a zero and left out of sum, min and max. */
static PyObject *
fold_doubles(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 4 || !PyDict_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "fold_doubles(buckets: dict, values, inv_log2_gamma, top_key)");
        return NULL;
    }
    double inv = PyFloat_AsDouble(args[2]);
    long long top = PyLong_AsLongLong(args[3]);
    if (PyErr_Occurred()) {
        return NULL;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(args[1], &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) {
        return NULL;
    }
    if (view.itemsize != sizeof(double) || view.format == NULL || strcmp(view.format, "d") != 0) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_TypeError, "fold_doubles needs a buffer of doubles (array('d'))");
        return NULL;
    }
    const double *values = (const double *)view.buf;
    Py_ssize_t n = view.len / (Py_ssize_t)sizeof(double), used = 0, zeros = 0;
    long long *keys = PyMem_Malloc((size_t)(n > 0 ? n : 1) * sizeof(long long));
    if (keys == NULL) {
        PyBuffer_Release(&view);
        return PyErr_NoMemory();
    }
    double total = 0.0, low = INFINITY, high = -INFINITY;
    long long kmin = LLONG_MAX, kmax = LLONG_MIN;
    for (Py_ssize_t i = 0; i < n; i++) {
        double v = values[i];
        if (isnan(v)) {
            zeros++;
            continue;
        }
        total += v;
        low = v < low ? v : low;
        high = v > high ? v : high;
        if (!(v > 0.0)) {
            zeros++;
            continue;
        }
        long long key = isinf(v) ? top : (long long)ceil(log2(v) * inv);
        kmin = key < kmin ? key : kmin;
        kmax = key > kmax ? key : kmax;
        keys[used++] = key;
    }
    int failed = count_keys(args[0], keys, used, kmin, kmax) < 0;
    PyMem_Free(keys);
    PyBuffer_Release(&view);
    if (failed) {
        return NULL;
    }
    return Py_BuildValue("(nddd n)", n, total, low, high, zeros);
}

/* perf_counter(): time.perf_counter()'s value, without its clock-info bookkeeping. */
static PyObject *
perf_counter_now(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    return PyFloat_FromDouble(perf_counter());
}

static PyMethodDef pending_module_methods[] = {
    {"perf_counter", perf_counter_now, METH_NOARGS, "perf_counter() -> time.perf_counter()'s value."},
    {"fold_doubles", (PyCFunction)(void (*)(void))fold_doubles, METH_FASTCALL,
     "fold_doubles(buckets, values, inv_log2_gamma, top_key) -> (count, sum, min, max, zeros)."},
    {NULL, NULL, 0, NULL},
};

int
rfs_add_pending(PyObject *module)
{
    if (PyType_Ready(&PendingType) < 0) {
        return -1;
    }
    PyObject *array = PyImport_ImportModule("array");
    if (array == NULL) {
        return -1;
    }
    array_type = PyObject_GetAttrString(array, "array");
    Py_DECREF(array);
    if (array_type == NULL || PyModule_AddFunctions(module, pending_module_methods) < 0) {
        return -1;
    }
    Py_INCREF(&PendingType);
    if (PyModule_AddObject(module, "Pending", (PyObject *)&PendingType) < 0) {
        Py_DECREF(&PendingType);
        return -1;
    }
    return 0;
}
