/*
 * `lapis run OP`: one op on generated or loaded matrices; prints the time
 * (median of repeats after a warm-up, each ending in lapis_synchronize),
 * GFLOP/s and the op's backward-error ratio computed on the host.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "matgen.h"
#include "ops_table.h"

/* Largest number of matrices checked, and the check work (n³ units) allowed
 * before matrices are skipped. */
#define CHECK_MAX_MATRICES 16
#define CHECK_BUDGET 4e9
#define CHECK_MAX_N 2048

typedef struct run_opts {
    const char *op;
    int64_t n, m, k, batch;
    lapis_dtype dtype;
    lapis_device device;
    int type;
    double cond;
    uint64_t seed;
    bool upper, check, force_check;
    bool full, values_only, vector, dtype_given;
    lapis_norm_ord ord;
    double p;
    const char *input, *output;
    int repeat;
} run_opts;

static void run_usage(FILE *f) {
    fprintf(f,
            "usage: lapis run OP [--n N] [--m M] [--k K] [--batch B] [--dtype f32|f64|c64|c128]\n"
            "                    [--device cpu|gpu] [--type MATGEN_NAME] [--cond C] [--seed S]\n"
            "                    [--upper] [--full] [--values-only] [--ord ORD] [--vector]\n"
            "                    [--input FILE.npy|FILE.mtx] [--output FILE.npy]\n"
            "                    [--repeat R] [--no-check] [--check]\n\n"
            "  --n, --m     matrix size (a is m x n; square ops use n x n; default n = 64, m = n)\n"
            "  --k          right-hand sides (solve, solve_triangular, lstsq; default 1) or the\n"
            "               inner size of matmul (m x n) @ (n x k) (default n)\n"
            "  --batch      number of matrices (batch axis of that length; default: none)\n"
            "  --type       generated matrix type (default: what the op needs); the result is\n"
            "               made SPD (G Gᵀ) or triangular as the op requires\n"
            "  --dtype      f32, f64 (default), or c64, c128 for qr, svd, eigh, eigvalsh, eig,\n"
            "               eigvals, pinv, lstsq, norm, cross; loaded data is converted to it\n"
            "               (a complex file gives c64/c128 by default); generated complex\n"
            "               matrices take their real and imaginary parts from two matrices\n"
            "               of the type (seeds s and s + 2^32), made Hermitian for eigh\n"
            "  --device     cpu or gpu (default: the default device, the GPU when present)\n"
            "  --cond       condition number for the cond_* and spd types (default 1e3)\n"
            "  --seed       seed of the generated matrices (default 1); matrix i uses seed+i\n"
            "  --upper      use / produce the upper triangle (Cholesky, triangular ops, eigh)\n"
            "  --full       svd: full_matrices (U m x m, Vh n x n; default: the thin SVD)\n"
            "  --values-only  svd: singular values only; qr: R only\n"
            "  --ord ORD    norm: none (default: Frobenius, or 2 with --vector), fro, nuc, inf,\n"
            "               -inf or a number p (matrix: +-1, +-2; vector: any p, 0 counts)\n"
            "  --vector     norm: the vector norm of each row instead of a matrix norm\n"
            "  --input      read the first operand (shape (..., M, N)) instead of generating it\n"
            "  --output     write the (first) result; further outputs go to FILE_<name>.npy\n"
            "  --repeat     timed runs after one warm-up (default: 10, fewer for slow runs)\n"
            "  --no-check   skip the host check; --check forces it for n > %d\n\n"
            "ops:\n",
            CHECK_MAX_N);
    for (int i = 0; i < lapis_nops; i++)
        fprintf(f, "  %-17s %s\n", lapis_ops[i].name, lapis_ops[i].summary);
    fprintf(f, "\nmatrix types:");
    for (int t = 0; t < MATGEN_NTYPES; t++)
        fprintf(f, "%s%s", t % 8 ? " " : "\n  ", matgen_name((matgen_type)t));
    fprintf(f, "\n");
}

static int parse_int(const char *flag, const char *s, int64_t lo, int64_t *out) {
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo) {
        fprintf(stderr, "lapis run: %s wants an integer >= %lld, got '%s'.\n", flag,
                (long long)lo, s);
        return -1;
    }
    *out = v;
    return 0;
}

/* none | fro | nuc | inf | -inf | a number. */
static int parse_ord(const char *s, lapis_norm_ord *ord, double *p) {
    static const struct { const char *name; lapis_norm_ord ord; } names[] = {
        {"none", LAPIS_NORM_DEFAULT}, {"fro", LAPIS_NORM_FRO}, {"nuc", LAPIS_NORM_NUC},
        {"inf", LAPIS_NORM_INF},      {"-inf", LAPIS_NORM_NEG_INF},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(s, names[i].name)) {
            *ord = names[i].ord;
            *p = 0;
            return 0;
        }
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || isnan(v)) return -1;
    *ord = LAPIS_NORM_P;
    *p = v;
    return 0;
}

static int parse_run_args(int argc, char **argv, run_opts *o) {
    *o = (run_opts){.n = -1, .m = -1, .k = 0, .batch = -1, .dtype = LAPIS_FLOAT64,
                    .device = lapis_default_device(), .type = -1, .cond = 0, .seed = 1,
                    .check = true, .repeat = 0};
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        char flag[32];
        if (strncmp(a, "--", 2) != 0) {
            if (o->op) {
                fprintf(stderr, "lapis run: unexpected argument '%s'.\n", a);
                return -1;
            }
            o->op = a;
            continue;
        }
        /* --flag=value or --flag value */
        const char *eq = strchr(a, '=');
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        if (len >= sizeof flag) len = sizeof flag - 1;
        memcpy(flag, a, len);
        flag[len] = 0;
        bool boolean = !strcmp(flag, "--upper") || !strcmp(flag, "--lower") ||
                       !strcmp(flag, "--no-check") || !strcmp(flag, "--check") ||
                       !strcmp(flag, "--help") || !strcmp(flag, "--full") ||
                       !strcmp(flag, "--values-only") || !strcmp(flag, "--vector");
        if (!boolean) {
            if (eq) val = eq + 1;
            else if (i + 1 < argc) val = argv[++i];
            else {
                fprintf(stderr, "lapis run: %s needs a value.\n", flag);
                return -1;
            }
        }
        int64_t v;
        if (!strcmp(flag, "--help")) {
            run_usage(stdout);
            exit(0);
        } else if (!strcmp(flag, "--n")) {
            if (parse_int(flag, val, 0, &o->n)) return -1;
        } else if (!strcmp(flag, "--m")) {
            if (parse_int(flag, val, 0, &o->m)) return -1;
        } else if (!strcmp(flag, "--k")) {
            if (parse_int(flag, val, 0, &o->k)) return -1;
        } else if (!strcmp(flag, "--batch")) {
            if (parse_int(flag, val, 0, &o->batch)) return -1;
        } else if (!strcmp(flag, "--repeat")) {
            if (parse_int(flag, val, 1, &v)) return -1;
            o->repeat = v > 100000 ? 100000 : (int)v;
        } else if (!strcmp(flag, "--seed")) {
            if (parse_int(flag, val, 0, &v)) return -1;
            o->seed = (uint64_t)v;
        } else if (!strcmp(flag, "--dtype")) {
            if (parse_dtype(val, &o->dtype)) {
                fprintf(stderr, "lapis run: --dtype is f32, f64, c64 or c128, not '%s'.\n", val);
                return -1;
            }
            o->dtype_given = true;
        } else if (!strcmp(flag, "--device")) {
            if (parse_device(val, &o->device)) {
                fprintf(stderr, "lapis run: --device is cpu or gpu[:N], not '%s'.\n", val);
                return -1;
            }
        } else if (!strcmp(flag, "--type")) {
            o->type = matgen_parse(val);
            if (o->type < 0) {
                fprintf(stderr, "lapis run: unknown matrix type '%s' (see lapis run --help).\n",
                        val);
                return -1;
            }
        } else if (!strcmp(flag, "--cond")) {
            char *end;
            o->cond = strtod(val, &end);
            if (end == val || *end || !(o->cond >= 1)) {
                fprintf(stderr, "lapis run: --cond wants a number >= 1, got '%s'.\n", val);
                return -1;
            }
        } else if (!strcmp(flag, "--input")) {
            o->input = val;
        } else if (!strcmp(flag, "--output")) {
            o->output = val;
        } else if (!strcmp(flag, "--upper")) {
            o->upper = true;
        } else if (!strcmp(flag, "--lower")) {
            o->upper = false;
        } else if (!strcmp(flag, "--full")) {
            o->full = true;
        } else if (!strcmp(flag, "--values-only")) {
            o->values_only = true;
        } else if (!strcmp(flag, "--vector")) {
            o->vector = true;
        } else if (!strcmp(flag, "--ord")) {
            if (parse_ord(val, &o->ord, &o->p)) {
                fprintf(stderr, "lapis run: --ord is none, fro, nuc, inf, -inf or a number, "
                                "not '%s'.\n", val);
                return -1;
            }
        } else if (!strcmp(flag, "--no-check")) {
            o->check = false;
        } else if (!strcmp(flag, "--check")) {
            o->force_check = true;
        } else {
            fprintf(stderr, "lapis run: unknown option '%s'.\n", flag);
            return -1;
        }
    }
    if (!o->op) {
        fprintf(stderr, "lapis run: which op? (lapis run --help lists them)\n");
        return -1;
    }
    return 0;
}

/* Types that are symmetric already, used as they are by the SPD ops. */
static bool symmetric_type(int t) {
    return t == MATGEN_SPD || t == MATGEN_PASCAL || t == MATGEN_HILBERT || t == MATGEN_NOT_SPD ||
           t == MATGEN_WILKINSON;
}

/* G Gᵀ, in long double, into g (n x n). */
static int gram(double *g, int64_t n) {
    double *t = malloc((size_t)(n * n > 0 ? n * n : 1) * sizeof *t);
    if (!t) return -1;
    memcpy(t, g, (size_t)(n * n) * sizeof *t);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j <= i; j++) {
            long double s = 0;
            for (int64_t l = 0; l < n; l++) s += (long double)t[i * n + l] * t[j * n + l];
            g[i * n + j] = g[j * n + i] = (double)s;
        }
    free(t);
    return 0;
}

static void transpose_sq(double *a, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i + 1; j < n; j++) {
            double t = a[i * n + j];
            a[i * n + j] = a[j * n + i];
            a[j * n + i] = t;
        }
}

/* Ops whose first input is m x n rather than n x n. */
static bool rect_shape(op_shape_kind k) { return k == OP_GENERAL || k == OP_VEC3; }

/* a (rows x cols) made symmetric, or Hermitian when complex: (A + Aᴴ) / 2. */
static void hermitize(double *a, int64_t n, bool cplx) {
    int w = cplx ? 2 : 1;
    for (int64_t r = 0; r < n; r++) {
        if (cplx) a[2 * (r * n + r) + 1] = 0;
        for (int64_t q = 0; q < r; q++) {
            double *x = a + w * (r * n + q), *y = a + w * (q * n + r);
            double re = 0.5 * (x[0] + y[0]);
            x[0] = y[0] = re;
            if (cplx) {
                double im = 0.5 * (x[1] - y[1]);
                x[1] = im;
                y[1] = -im;
            }
        }
    }
}

static int generate(op_case *c, char *err, size_t cap) {
    const op_entry *op = c->op;
    int64_t rows = rect_shape(op->shape) ? c->m : c->n, cols = c->n;
    int64_t shape[LAPIS_MAX_NDIM];
    memcpy(shape, c->bshape, sizeof(int64_t) * (size_t)c->bndim);
    shape[c->bndim] = rows;
    shape[c->bndim + 1] = cols;
    int type = c->type;
    bool cplx = dtype_is_complex(c->dtype), single = dtype_eps(c->dtype) > 1e-10;
    /* The triangular generators come in both orientations; pick the one asked. */
    bool flip = op->shape == OP_TRI && ((type == MATGEN_LOWER && c->upper) ||
                                        ((type == MATGEN_UPPER || type == MATGEN_KAHAN) && !c->upper));
    double *im = NULL;
    if (tensor_alloc(&c->in[0], shape, c->bndim + 2, c->dtype) ||
        (cplx && !(im = malloc(sizeof(double) * (size_t)(rows * cols > 0 ? rows * cols : 1))))) {
        snprintf(err, cap, "out of memory for %lld matrices of %lld x %lld", (long long)c->batch,
                 (long long)rows, (long long)cols);
        free(im);
        return -1;
    }
    for (int64_t i = 0; i < c->batch; i++) {
        double *a = c->in[0].v + i * rows * cols * (cplx ? 2 : 1);
        if (rows * cols == 0) break;
        uint64_t seed = c->seed + (uint64_t)i;
        /* complex: the real part in place, the imaginary part from seed + 2^32 */
        if (matgen_fill(a, rows, cols, (matgen_type)type, c->cond, single, seed) ||
            (cplx && matgen_fill(im, rows, cols, (matgen_type)type, c->cond, single,
                                 seed + (1ull << 32)))) {
            snprintf(err, cap, "matrix type %s cannot make a %lld x %lld matrix",
                     matgen_name((matgen_type)type), (long long)rows, (long long)cols);
            free(im);
            return -1;
        }
        if (cplx)
            for (int64_t j = rows * cols - 1; j >= 0; j--) {
                a[2 * j] = a[j];
                a[2 * j + 1] = im[j];
            }
        if (op->shape == OP_SPD && !symmetric_type(type) && gram(a, cols)) {
            snprintf(err, cap, "out of memory");
            free(im);
            return -1;
        }
        if ((op->shape == OP_SYM || op->shape == OP_HERM) && (cplx || !symmetric_type(type)))
            hermitize(a, cols, cplx);
        if (flip) transpose_sq(a, cols);
    }
    free(im);
    tensor_round(&c->in[0], c->dtype);
    c->nin = 1;
    return 0;
}

/* Loaded data: the last two axes are the matrix, the rest the batch. */
static int adopt_file(op_case *c, tensor *t, char *err, size_t cap) {
    if (t->ndim < 2) {
        snprintf(err, cap, "%s: the op needs a matrix or a batch of matrices (ndim >= 2), the "
                           "file holds an array of %d dimension(s)", "input", t->ndim);
        return -1;
    }
    if (dtype_is_complex(t->dtype) && !c->op->complex_ok) {
        snprintf(err, cap, "input: '%s' takes real data only (complex: qr, svd, eigh, eigvalsh, "
                           "eig, eigvals, pinv, lstsq, norm, cross)", c->op->name);
        return -1;
    }
    if (dtype_is_complex(t->dtype) && !dtype_is_complex(c->dtype)) {
        snprintf(err, cap, "input: complex data needs --dtype c64 or c128");
        return -1;
    }
    if (c->op->shape == OP_VEC3 && t->shape[t->ndim - 1] != 2 && t->shape[t->ndim - 1] != 3) {
        snprintf(err, cap, "input: cross needs vectors of size 2 or 3 along the last axis, the "
                           "file's have %lld", (long long)t->shape[t->ndim - 1]);
        return -1;
    }
    if (dtype_is_complex(c->dtype) && !dtype_is_complex(t->dtype)) {
        /* real data into a complex dtype: zero imaginary parts */
        tensor z;
        if (tensor_alloc(&z, t->shape, t->ndim, c->dtype)) {
            snprintf(err, cap, "out of memory");
            return -1;
        }
        for (int64_t j = 0; j < tensor_size(t); j++) z.v[2 * j] = t->v[j];
        tensor_free(t);
        *t = z;
    }
    c->bndim = t->ndim - 2;
    c->batch = 1;
    for (int d = 0; d < c->bndim; d++) {
        c->bshape[d] = t->shape[d];
        c->batch *= t->shape[d];
    }
    c->m = t->shape[t->ndim - 2];
    c->n = t->shape[t->ndim - 1];
    t->dtype = c->dtype;
    tensor_round(t, c->dtype);
    c->in[0] = *t;
    c->nin = 1;
    return 0;
}

static int write_outputs(const run_opts *o, const op_entry *op, tensor *hout, int nout) {
    char path[4096], err[512];
    int first = -1; /* FILE itself gets the first output computed */
    for (int j = 0; j < nout; j++) {
        if (!hout[j].v) continue; /* not computed (--values-only) */
        if (first < 0) first = j;
        if (j == first) {
            snprintf(path, sizeof path, "%s", o->output);
        } else {
            const char *dot = strrchr(o->output, '.');
            int stem = dot && !strcmp(dot, ".npy") ? (int)(dot - o->output) : (int)strlen(o->output);
            snprintf(path, sizeof path, "%.*s_%s.npy", stem, o->output, op->out_names[j]);
        }
        if (npy_write(path, &hout[j], err, sizeof err)) {
            fprintf(stderr, "lapis run: %s\n", err);
            return -1;
        }
        printf("  wrote     %s (%s)\n", path, op->out_names[j]);
    }
    return 0;
}

static void free_outs(lapis_array *out) {
    for (int j = 0; j < OP_MAX_OUT; j++) {
        lapis_array_free(out[j]);
        out[j] = NULL;
    }
}

int cmd_run(int argc, char **argv) {
    run_opts o;
    if (parse_run_args(argc, argv, &o)) return 2;
    const op_entry *op = ops_find(o.op);
    if (!op) {
        fprintf(stderr, "lapis run: unknown op '%s'. Ops:", o.op);
        for (int i = 0; i < lapis_nops; i++) fprintf(stderr, " %s", lapis_ops[i].name);
        fprintf(stderr, "\n");
        return 2;
    }
    if (dtype_is_complex(o.dtype) && !op->complex_ok) {
        fprintf(stderr, "lapis run: %s takes --dtype f32 or f64 (complex: qr, svd, eigh, "
                        "eigvalsh, eig, eigvals, pinv, lstsq, norm, cross).\n", op->name);
        return 2;
    }
    if (!lapis_device_is_available(o.device)) {
        fprintf(stderr, "lapis run: device %s is not available: %s.\n", device_str(o.device),
                device_unavailable_reason(o.device));
        return 1;
    }

    int rc = 1, nout = 0;
    char err[1024] = "";
    op_case c = {.op = op, .dtype = o.dtype, .upper = o.upper, .seed = o.seed, .cond = o.cond,
                 .full = o.full, .values_only = o.values_only, .vector = o.vector,
                 .ord = o.ord, .p = o.p};
    lapis_array out[OP_MAX_OUT] = {0};
    tensor hout[OP_MAX_OUT];
    memset(hout, 0, sizeof hout);
    double *times = NULL;
    lapis_status st = lapis_stream_new(&c.stream, o.device);
    if (st) {
        fprintf(stderr, "lapis run: %s\n", lapis_last_error());
        return 1;
    }

    /* ---- inputs ---- */
    char what[256];
    if (o.input) {
        tensor t;
        if (io_read(o.input, &t, err, sizeof err)) goto fail;
        c.type = -1;
        if (dtype_is_complex(t.dtype) && !o.dtype_given) c.dtype = t.dtype;
        if (adopt_file(&c, &t, err, sizeof err)) {
            tensor_free(&t);
            goto fail;
        }
        if (!rect_shape(op->shape) && c.m != c.n)
            fprintf(stderr, "lapis run: note: %s needs square matrices; the file's are %lld x %lld.\n",
                    op->name, (long long)c.m, (long long)c.n);
        snprintf(what, sizeof what, "%s", o.input);
    } else {
        c.n = o.n >= 0 ? o.n : 64;
        c.m = o.m >= 0 ? o.m : c.n;
        c.batch = o.batch >= 0 ? o.batch : 1;
        c.bndim = o.batch >= 0 ? 1 : 0;
        c.bshape[0] = c.batch;
        if (op->shape == OP_VEC3) { /* --n vectors of size 3 */
            c.m = c.n;
            c.n = 3;
        }
        c.type = o.type >= 0 ? o.type : op->default_type;
        if (generate(&c, err, sizeof err)) goto fail;
        bool cplx = dtype_is_complex(c.dtype), herm = op->shape == OP_SYM || op->shape == OP_HERM;
        bool made = (!symmetric_type(c.type) || cplx) && (op->shape == OP_SPD || herm);
        snprintf(what, sizeof what, "generated '%s'%s%s", matgen_name((matgen_type)c.type),
                 cplx ? " (re and im parts)" : "",
                 !made ? "" : op->shape == OP_SPD ? " made SPD as G G^T"
                 : cplx ? " made Hermitian" : " made symmetric");
        if (o.cond > 0) snprintf(what + strlen(what), sizeof what - strlen(what), ", cond %g", o.cond);
    }
    c.k = o.k;
    st = tensor_to_array(&c.a[0], &c.in[0], c.dtype);
    if (st) {
        snprintf(err, sizeof err, "cannot create the input: %s", lapis_last_error());
        goto fail;
    }
    if (op->build && op->build(&c, err, sizeof err)) goto fail;

    char bs[128];
    shape_str(bs, sizeof bs, c.bshape, c.bndim);
    int64_t rows = rect_shape(op->shape) ? c.m : c.n;
    printf("lapis run %s: %s, %s, ", op->name, device_str(o.device), lapis_dtype_name(c.dtype));
    if (c.bndim) printf("batch %s of ", bs);
    printf("%lld x %lld", (long long)rows, (long long)c.n);
    if (op->build && c.k > 0 && strcmp(op->name, "cholesky_inv") != 0) printf(", k = %lld", (long long)c.k);
    if (op->shape == OP_TRI || op->shape == OP_SPD || op->shape == OP_SYM || op->shape == OP_HERM)
        printf(", %s", c.upper ? "upper" : "lower");
    if (!strcmp(op->name, "svd") && !c.values_only) printf(", %s", c.full ? "full" : "thin");
    if (c.values_only && op->check_what_values)
        printf(", %s only", !strcmp(op->name, "qr") ? "R" : "values");
    if (!strcmp(op->name, "norm")) {
        static const char *ords[] = {"none", "p", "fro", "nuc", "inf", "-inf"};
        printf(", %s norm, ord %s", c.vector ? "row (vector)" : "matrix",
               c.ord == LAPIS_NORM_P ? "" : (unsigned)c.ord < 6 ? ords[c.ord] : "?");
        if (c.ord == LAPIS_NORM_P) printf("%g", c.p);
    }
    printf("\n  input     %s, seed %llu\n", what, (unsigned long long)c.seed);
    if (o.device.type == LAPIS_GPU && op->cpu_only)
        printf("  note      no GPU kernel for %s yet: on a GPU stream lapis runs it on the CPU,\n"
               "            so the time below is the CPU's\n", op->name);
    fflush(stdout);

    /* ---- warm-up, then the timed runs ---- */
    double t0 = now_seconds();
    st = op->run(&c, out);
    if (st) {
        /* An argument error: nothing ran. */
        snprintf(err, sizeof err, "%s (%s)", lapis_last_error(), lapis_status_string(st));
        goto fail;
    }
    lapis_status numerr = lapis_synchronize(c.stream);
    char nummsg[1024] = "";
    if (numerr) snprintf(nummsg, sizeof nummsg, "%s", lapis_last_error());
    double warm = now_seconds() - t0;
    int repeat = o.repeat ? o.repeat : warm < 0.05 ? 10 : warm < 1 ? 5 : 3;
    times = malloc(sizeof(double) * (size_t)repeat);
    if (!times) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    for (int r = 0; r < repeat; r++) {
        free_outs(out);
        t0 = now_seconds();
        st = op->run(&c, out);
        lapis_status sy = lapis_synchronize(c.stream);
        times[r] = now_seconds() - t0;
        if (st) {
            snprintf(err, sizeof err, "%s", lapis_last_error());
            goto fail;
        }
        (void)sy; /* the same failure as the warm-up's */
    }
    qsort(times, (size_t)repeat, sizeof *times, cmp_double);
    double med = repeat % 2 ? times[repeat / 2] : 0.5 * (times[repeat / 2 - 1] + times[repeat / 2]);
    double flops = op->flops(&c) * (double)c.batch;
    printf("  time      %.4g ms  (median of %d after a warm-up; min %.4g, max %.4g)\n", med * 1e3,
           repeat, times[0] * 1e3, times[repeat - 1] * 1e3);
    if (med > 0 && flops > 0)
        printf("  rate      %.4g GFLOP/s  (%.4g flop per call)\n", flops / med * 1e-9, flops);
    fflush(stdout);

    /* ---- results to the host, check, write ---- */
    for (nout = 0; nout < OP_MAX_OUT && op->out_names[nout]; nout++) {
        if (!out[nout]) continue; /* not computed (--values-only) */
        st = tensor_from_array(&hout[nout], out[nout]);
        if (st == LAPIS_ERR_OUT_OF_MEMORY || st == LAPIS_ERR_INVALID_ARGUMENT ||
            st == LAPIS_ERR_INTERNAL) {
            snprintf(err, sizeof err, "cannot read the result: %s", lapis_last_error());
            goto fail;
        }
    }
    bool too_big = c.n > CHECK_MAX_N && !o.force_check;
    if (!o.check || too_big) {
        printf("  check     skipped%s\n", too_big ? " (n > 2048; --check forces it)" : "");
    } else if (c.batch == 0) {
        printf("  check     nothing to check (empty batch)\n");
    } else {
        double unit = (double)(c.m > c.n ? c.m : c.n);
        unit = unit * unit * unit + 1;
        int64_t ns = c.batch < CHECK_MAX_MATRICES ? c.batch : CHECK_MAX_MATRICES;
        if (ns * unit > CHECK_BUDGET) ns = (int64_t)(CHECK_BUDGET / unit);
        if (ns < 1) ns = 1;
        double worst = 0;
        int64_t worst_i = 0, nfail = 0;
        for (int64_t s = 0; s < ns; s++) {
            int64_t i = ns == 1 ? 0 : s * (c.batch - 1) / (ns - 1);
            double r = op->check(&c, hout, i);
            if (!(r <= worst) && !(isnan(worst))) {
                worst = r;
                worst_i = i;
            }
            if (isnan(r) || isinf(r)) nfail++;
        }
        printf("  check     %.3g  %s\n", worst,
               c.values_only && op->check_what_values ? op->check_what_values : op->check_what);
        printf("            (worst of %lld checked of %lld matrices%s; eps = %.3g)%s\n",
               (long long)ns, (long long)c.batch, "", dtype_eps(c.dtype),
               worst < 30 ? "" : isnan(worst) ? "  <- failed matrix (NaN)" : "  <- LARGE");
        if (c.bndim && (isnan(worst) || worst >= 30))
            printf("            worst at batch element %lld\n", (long long)worst_i);
        (void)nfail;
    }
    if (numerr) printf("  status    %s: %s\n", lapis_status_string(numerr), nummsg);
    else printf("  status    ok\n");
    if (o.output && write_outputs(&o, op, hout, nout)) goto done;
    rc = numerr ? 1 : 0;
    goto done;

fail:
    fprintf(stderr, "lapis run: %s\n", err);
done:
    free(times);
    free_outs(out);
    for (int j = 0; j < OP_MAX_OUT; j++) tensor_free(&hout[j]);
    for (int j = 0; j < OP_MAX_IN; j++) {
        lapis_array_free(c.a[j]);
        tensor_free(&c.in[j]);
    }
    tensor_free(&c.ref);
    lapis_stream_free(c.stream);
    return rc;
}
