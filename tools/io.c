/*
 * Matrix files for `lapis run`: NumPy .npy (read and write, format versions
 * 1.0-3.0, little-endian f4/f8/i4/u4/i8/b1/c8/c16, C order) and Matrix Market
 * .mtx (read: coordinate or array; real, integer or pattern; general,
 * symmetric or skew-symmetric). Every malformed file ends in a message and
 * -1, never a crash; sizes are checked before anything is allocated.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

#define NPY_MAX_HEADER (1 << 20)

static int fail(char *err, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- .npy ----------------------------------------------------------------- */

typedef struct npy_kind {
    const char *code; /* descr without the byte-order character */
    lapis_dtype dtype;
    size_t itemsize;
} npy_kind;

static const npy_kind npy_kinds[] = {
    {"f4", LAPIS_FLOAT32, 4},   {"f8", LAPIS_FLOAT64, 8},    {"i4", LAPIS_INT32, 4},
    {"u4", LAPIS_UINT32, 4},    {"i8", LAPIS_INT64, 8},      {"b1", LAPIS_BOOL, 1},
    {"c8", LAPIS_COMPLEX64, 8}, {"c16", LAPIS_COMPLEX128, 16},
};
#define NPY_NKINDS ((int)(sizeof npy_kinds / sizeof npy_kinds[0]))

static const npy_kind *kind_of_dtype(lapis_dtype dt) {
    for (int i = 0; i < NPY_NKINDS; i++)
        if (npy_kinds[i].dtype == dt) return &npy_kinds[i];
    return NULL;
}

/* Finds 'key' in the header dict and returns a pointer just past its ':'. */
static const char *dict_value(const char *h, const char *key) {
    char pat[32];
    for (int q = 0; q < 2; q++) {
        snprintf(pat, sizeof pat, q ? "\"%s\"" : "'%s'", key);
        const char *p = strstr(h, pat);
        if (!p) continue;
        p += strlen(pat);
        while (isspace((unsigned char)*p)) p++;
        if (*p != ':') return NULL;
        p++;
        while (isspace((unsigned char)*p)) p++;
        return p;
    }
    return NULL;
}

static int parse_npy_header(const char *h, const npy_kind **kind, bool *fortran,
                            int64_t *shape, int *ndim, const char *path, char *err,
                            size_t cap) {
    const char *p = dict_value(h, "descr");
    if (!p) return fail(err, cap, "%s: the .npy header has no 'descr'.", path);
    if (*p == '[')
        return fail(err, cap, "%s: structured .npy arrays are not supported (need a plain "
                              "numeric dtype).", path);
    if (*p != '\'' && *p != '"') return fail(err, cap, "%s: bad 'descr' in .npy header.", path);
    char quote = *p++;
    char descr[16];
    size_t n = 0;
    while (*p && *p != quote && n + 1 < sizeof descr) descr[n++] = *p++;
    descr[n] = 0;
    if (*p != quote) return fail(err, cap, "%s: bad 'descr' in .npy header.", path);
    *kind = NULL;
    const char *code = descr + 1;
    bool order_ok = descr[0] == '<' || (descr[0] == '|' && strcmp(code, "b1") == 0) ||
                    (descr[0] == '=' );
    for (int i = 0; i < NPY_NKINDS; i++)
        if (strcmp(code, npy_kinds[i].code) == 0) *kind = &npy_kinds[i];
    if (descr[0] == '>' && *kind && (*kind)->itemsize > 1)
        return fail(err, cap,
                    "%s: big-endian data ('%s') is not supported; save it little-endian "
                    "(numpy: a.astype('<%s')).", path, descr, code);
    if (!*kind || !order_ok)
        return fail(err, cap,
                    "%s: unsupported .npy dtype '%s' (supported: <f4 <f8 <i4 <u4 <i8 |b1 <c8 "
                    "<c16).", path, descr);

    p = dict_value(h, "fortran_order");
    if (!p) return fail(err, cap, "%s: the .npy header has no 'fortran_order'.", path);
    if (strncmp(p, "True", 4) == 0) *fortran = true;
    else if (strncmp(p, "False", 5) == 0) *fortran = false;
    else return fail(err, cap, "%s: bad 'fortran_order' in .npy header.", path);

    p = dict_value(h, "shape");
    if (!p || *p != '(') return fail(err, cap, "%s: the .npy header has no 'shape' tuple.", path);
    p++;
    *ndim = 0;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (*p == ')') break;
        if (!isdigit((unsigned char)*p))
            return fail(err, cap, "%s: bad 'shape' in .npy header.", path);
        errno = 0;
        char *end;
        long long d = strtoll(p, &end, 10);
        if (errno || d < 0) return fail(err, cap, "%s: bad dimension in .npy 'shape'.", path);
        if (*ndim == LAPIS_MAX_NDIM)
            return fail(err, cap, "%s: the array has more than %d dimensions.", path,
                        LAPIS_MAX_NDIM);
        shape[(*ndim)++] = d;
        p = end;
        while (isspace((unsigned char)*p)) p++;
        if (*p == ',') p++;
        else if (*p != ')') return fail(err, cap, "%s: bad 'shape' in .npy header.", path);
    }
    return 0;
}

static uint64_t le_u(const unsigned char *b, int nbytes) {
    uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

/* Little-endian element i of raw data -> double(s). */
static void decode(const unsigned char *raw, const npy_kind *k, int64_t i, double *out) {
    const unsigned char *b = raw + (size_t)i * k->itemsize;
    union { uint32_t u; float f; } f32;
    union { uint64_t u; double d; } f64;
    switch (k->dtype) {
    case LAPIS_FLOAT32: f32.u = (uint32_t)le_u(b, 4); out[0] = f32.f; break;
    case LAPIS_FLOAT64: f64.u = le_u(b, 8); out[0] = f64.d; break;
    case LAPIS_INT32: out[0] = (double)(int32_t)(uint32_t)le_u(b, 4); break;
    case LAPIS_UINT32: out[0] = (double)(uint32_t)le_u(b, 4); break;
    case LAPIS_INT64: out[0] = (double)(int64_t)le_u(b, 8); break;
    case LAPIS_BOOL: out[0] = b[0] != 0; break;
    case LAPIS_COMPLEX64:
        f32.u = (uint32_t)le_u(b, 4); out[0] = f32.f;
        f32.u = (uint32_t)le_u(b + 4, 4); out[1] = f32.f;
        break;
    case LAPIS_COMPLEX128:
        f64.u = le_u(b, 8); out[0] = f64.d;
        f64.u = le_u(b + 8, 8); out[1] = f64.d;
        break;
    }
}

int npy_read(const char *path, tensor *t, char *err, size_t cap) {
    int rc = -1;
    char *header = NULL;
    unsigned char *raw = NULL;
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) return fail(err, cap, "%s: cannot open: %s.", path, strerror(errno));

    unsigned char pre[12];
    if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        fail(err, cap, "%s: not a .npy file (bad magic).", path);
        goto out;
    }
    int major = pre[6];
    size_t hlen;
    if (major == 1) {
        if (fread(pre + 8, 1, 2, f) != 2) goto truncated;
        hlen = (size_t)le_u(pre + 8, 2);
    } else if (major == 2 || major == 3) {
        if (fread(pre + 8, 1, 4, f) != 4) goto truncated;
        hlen = (size_t)le_u(pre + 8, 4);
    } else {
        fail(err, cap, "%s: unsupported .npy format version %d.%d.", path, major, pre[7]);
        goto out;
    }
    if (hlen > NPY_MAX_HEADER) {
        fail(err, cap, "%s: .npy header of %zu bytes is implausibly large.", path, hlen);
        goto out;
    }
    header = malloc(hlen + 1);
    if (!header) { fail(err, cap, "%s: out of memory.", path); goto out; }
    if (fread(header, 1, hlen, f) != hlen) goto truncated;
    header[hlen] = 0;
    if (memchr(header, 0, hlen)) {
        fail(err, cap, "%s: the .npy header contains a NUL byte.", path);
        goto out;
    }

    const npy_kind *k = NULL;
    bool fortran = false;
    int64_t shape[LAPIS_MAX_NDIM];
    int ndim = 0;
    if (parse_npy_header(header, &k, &fortran, shape, &ndim, path, err, cap)) goto out;
    if (fortran && ndim > 1) {
        fail(err, cap,
             "%s: Fortran-order (column-major) .npy arrays are not supported; save a C-order "
             "array (numpy: np.save(path, np.ascontiguousarray(a))).", path);
        goto out;
    }
    int64_t size = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] && size > INT64_MAX / 32 / shape[d]) {
            fail(err, cap, "%s: the array is too large.", path);
            goto out;
        }
        size *= shape[d];
    }
    size_t nbytes = (size_t)size * k->itemsize;
    long here = ftell(f);
    if (here >= 0 && fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        if (end >= here && (uint64_t)(end - here) < nbytes) {
            fail(err, cap, "%s: truncated: the header promises %zu bytes of data, the file "
                           "holds %ld.", path, nbytes, end - here);
            goto out;
        }
        if (fseek(f, here, SEEK_SET) != 0) goto truncated;
    }
    if (tensor_alloc(t, shape, ndim, k->dtype)) {
        fail(err, cap, "%s: out of memory for %lld elements.", path, (long long)size);
        goto out;
    }
    raw = malloc(nbytes ? nbytes : 1);
    if (!raw) { fail(err, cap, "%s: out of memory.", path); goto out; }
    size_t got = fread(raw, 1, nbytes, f);
    if (got != nbytes) {
        fail(err, cap, "%s: truncated: the header promises %zu bytes of data, the file holds %zu.",
             path, nbytes, got);
        goto out;
    }
    int w = dtype_is_complex(k->dtype) ? 2 : 1;
    for (int64_t i = 0; i < size; i++) decode(raw, k, i, t->v + w * i);
    rc = 0;
    goto out;
truncated:
    fail(err, cap, "%s: truncated .npy header.", path);
out:
    if (rc) tensor_free(t);
    free(raw);
    free(header);
    fclose(f);
    return rc;
}

static void encode(unsigned char *b, const npy_kind *k, const double *v) {
    union { float f; uint32_t u; } f32;
    union { double d; uint64_t u; } f64;
    uint64_t u = 0;
    int nb = (int)k->itemsize;
    switch (k->dtype) {
    case LAPIS_FLOAT32: f32.f = (float)v[0]; u = f32.u; break;
    case LAPIS_FLOAT64: f64.d = v[0]; u = f64.u; break;
    case LAPIS_INT32: u = (uint32_t)(int32_t)v[0]; break;
    case LAPIS_UINT32: u = (uint32_t)v[0]; break;
    case LAPIS_INT64: u = (uint64_t)(int64_t)v[0]; break;
    case LAPIS_BOOL: u = v[0] != 0; break;
    case LAPIS_COMPLEX64:
        f32.f = (float)v[0];
        for (int i = 0; i < 4; i++) b[i] = (unsigned char)(f32.u >> (8 * i));
        f32.f = (float)v[1]; u = f32.u; b += 4; nb = 4;
        break;
    case LAPIS_COMPLEX128:
        f64.d = v[0];
        for (int i = 0; i < 8; i++) b[i] = (unsigned char)(f64.u >> (8 * i));
        f64.d = v[1]; u = f64.u; b += 8; nb = 8;
        break;
    }
    for (int i = 0; i < nb; i++) b[i] = (unsigned char)(u >> (8 * i));
}

int npy_write(const char *path, const tensor *t, char *err, size_t cap) {
    const npy_kind *k = kind_of_dtype(t->dtype);
    if (!k) return fail(err, cap, "%s: no .npy code for dtype %s.", path,
                        lapis_dtype_name(t->dtype));
    char dict[512], shp[256];
    size_t n = 0;
    shp[0] = 0;
    for (int d = 0; d < t->ndim; d++)
        n += (size_t)snprintf(shp + n, sizeof shp - n, "%lld,%s", (long long)t->shape[d],
                              d + 1 < t->ndim ? " " : "");
    if (t->ndim > 1) shp[n - 1] = 0; /* NumPy writes (3,) but (3, 4) */
    int len = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (%s), }",
                       k->itemsize == 1 ? '|' : '<', k->code, shp);
    /* Pad with spaces so magic + header ends on a 64-byte boundary, then '\n'. */
    size_t total = 10 + (size_t)len + 1;
    size_t pad = (64 - total % 64) % 64;
    size_t hlen = (size_t)len + pad + 1;
    FILE *f = fopen(path, "wb");
    if (!f) return fail(err, cap, "%s: cannot create: %s.", path, strerror(errno));
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
                             (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};
    int bad = fwrite(pre, 1, 10, f) != 10 || fwrite(dict, 1, (size_t)len, f) != (size_t)len;
    for (size_t i = 0; !bad && i < pad; i++) bad = fputc(' ', f) == EOF;
    if (!bad) bad = fputc('\n', f) == EOF;
    int w = dtype_is_complex(t->dtype) ? 2 : 1;
    unsigned char buf[16];
    int64_t size = tensor_size(t);
    for (int64_t i = 0; !bad && i < size; i++) {
        encode(buf, k, t->v + w * i);
        bad = fwrite(buf, 1, k->itemsize, f) != k->itemsize;
    }
    if (fclose(f) || bad) return fail(err, cap, "%s: write failed: %s.", path, strerror(errno));
    return 0;
}

/* ---- Matrix Market ------------------------------------------------------- */

#define MTX_MAX_ELEMS ((int64_t)1 << 31)

typedef struct mtx_reader {
    FILE *f;
    const char *path;
    char *line;
    size_t cap;
    long lineno;
} mtx_reader;

/* Next line that is neither a comment nor blank; NULL at end of file. */
static char *next_line(mtx_reader *r) {
    for (;;) {
        if (getline(&r->line, &r->cap, r->f) < 0) return NULL;
        r->lineno++;
        char *p = r->line;
        while (isspace((unsigned char)*p)) p++;
        if (*p && *p != '%') return p;
    }
}

static bool parse_i64(char **p, int64_t *out) {
    errno = 0;
    char *end;
    long long v = strtoll(*p, &end, 10);
    if (end == *p || errno) return false;
    *p = end;
    *out = v;
    return true;
}

static bool parse_f64(char **p, double *out) {
    char *end;
    double v = strtod(*p, &end);
    if (end == *p) return false;
    *p = end;
    *out = v;
    return true;
}

static bool rest_blank(const char *p) {
    while (isspace((unsigned char)*p)) p++;
    return *p == 0;
}

enum { MM_GENERAL, MM_SYMMETRIC, MM_SKEW };

int mtx_read(const char *path, tensor *t, char *err, size_t cap) {
    int rc = -1;
    memset(t, 0, sizeof *t);
    mtx_reader r = {.path = path};
    r.f = fopen(path, "r");
    if (!r.f) return fail(err, cap, "%s: cannot open: %s.", path, strerror(errno));

    char banner[32], object[32], format[32], field[32], symmetry[32];
    if (getline(&r.line, &r.cap, r.f) < 0 ||
        sscanf(r.line, "%31s %31s %31s %31s %31s", banner, object, format, field, symmetry) != 5 ||
        strcmp(banner, "%%MatrixMarket") != 0) {
        fail(err, cap, "%s:1: not a Matrix Market file (expected '%%%%MatrixMarket matrix "
                       "<coordinate|array> <field> <symmetry>').", path);
        goto out;
    }
    r.lineno = 1;
    if (strcasecmp(object, "matrix") != 0) {
        fail(err, cap, "%s:1: Matrix Market object '%s' is not supported (only 'matrix').", path,
             object);
        goto out;
    }
    bool coord;
    if (strcasecmp(format, "coordinate") == 0) coord = true;
    else if (strcasecmp(format, "array") == 0) coord = false;
    else { fail(err, cap, "%s:1: unknown Matrix Market format '%s'.", path, format); goto out; }
    bool pattern = strcasecmp(field, "pattern") == 0;
    if (!pattern && strcasecmp(field, "real") != 0 && strcasecmp(field, "double") != 0 &&
        strcasecmp(field, "integer") != 0) {
        fail(err, cap, "%s:1: Matrix Market field '%s' is not supported (real, integer or "
                       "pattern).", path, field);
        goto out;
    }
    if (pattern && !coord) {
        fail(err, cap, "%s:1: 'pattern' is only valid with the coordinate format.", path);
        goto out;
    }
    int sym;
    if (strcasecmp(symmetry, "general") == 0) sym = MM_GENERAL;
    else if (strcasecmp(symmetry, "symmetric") == 0) sym = MM_SYMMETRIC;
    else if (strcasecmp(symmetry, "skew-symmetric") == 0) sym = MM_SKEW;
    else {
        fail(err, cap, "%s:1: Matrix Market symmetry '%s' is not supported (general, "
                       "symmetric or skew-symmetric).", path, symmetry);
        goto out;
    }

    char *p = next_line(&r);
    int64_t m, n, nnz = 0;
    if (!p || !parse_i64(&p, &m) || !parse_i64(&p, &n) || (coord && !parse_i64(&p, &nnz)) ||
        !rest_blank(p)) {
        fail(err, cap, "%s:%ld: bad size line (expected '%s').", path, r.lineno,
             coord ? "rows columns entries" : "rows columns");
        goto out;
    }
    if (m < 0 || n < 0 || nnz < 0 || (n && m > MTX_MAX_ELEMS / n)) {
        fail(err, cap, "%s:%ld: bad or too large size %lld x %lld.", path, r.lineno,
             (long long)m, (long long)n);
        goto out;
    }
    if (sym != MM_GENERAL && m != n) {
        fail(err, cap, "%s:%ld: a %s matrix must be square, not %lld x %lld.", path, r.lineno,
             symmetry, (long long)m, (long long)n);
        goto out;
    }
    if (nnz > m * n) {
        fail(err, cap, "%s:%ld: %lld entries do not fit a %lld x %lld matrix.", path, r.lineno,
             (long long)nnz, (long long)m, (long long)n);
        goto out;
    }
    int64_t shape[2] = {m, n};
    if (tensor_alloc(t, shape, 2, LAPIS_FLOAT64)) {
        fail(err, cap, "%s: out of memory for a %lld x %lld matrix.", path, (long long)m,
             (long long)n);
        goto out;
    }

    int64_t count;
    if (coord) {
        count = nnz;
    } else if (sym == MM_GENERAL) {
        count = m * n;
    } else if (sym == MM_SYMMETRIC) {
        count = n * (n + 1) / 2;
    } else {
        count = n * (n - 1) / 2;
    }
    /* Array format walks columns, down from the diagonal when symmetric. */
    int64_t ai = sym == MM_SKEW ? 1 : 0, aj = 0;
    for (int64_t e = 0; e < count; e++) {
        p = next_line(&r);
        if (!p) {
            fail(err, cap, "%s: unexpected end of file after %lld of %lld entries.", path,
                 (long long)e, (long long)count);
            goto out;
        }
        int64_t i, j;
        double v = 1;
        if (coord) {
            if (!parse_i64(&p, &i) || !parse_i64(&p, &j) || (!pattern && !parse_f64(&p, &v)) ||
                !rest_blank(p)) {
                fail(err, cap, "%s:%ld: bad entry (expected 'row column%s').", path, r.lineno,
                     pattern ? "" : " value");
                goto out;
            }
            if (i < 1 || i > m || j < 1 || j > n) {
                fail(err, cap, "%s:%ld: entry (%lld, %lld) is outside the %lld x %lld matrix "
                               "(indices are 1-based).", path, r.lineno, (long long)i,
                     (long long)j, (long long)m, (long long)n);
                goto out;
            }
            i--, j--;
            if (sym != MM_GENERAL && i < j) {
                fail(err, cap, "%s:%ld: entry (%lld, %lld) is above the diagonal of a %s "
                               "matrix (only the lower triangle is stored).", path, r.lineno,
                     (long long)i + 1, (long long)j + 1, symmetry);
                goto out;
            }
            if (sym == MM_SKEW && i == j) {
                fail(err, cap, "%s:%ld: a skew-symmetric matrix stores no diagonal entry.", path,
                     r.lineno);
                goto out;
            }
        } else {
            if (!parse_f64(&p, &v) || !rest_blank(p)) {
                fail(err, cap, "%s:%ld: bad value.", path, r.lineno);
                goto out;
            }
            i = ai, j = aj;
            if (++ai == m) {
                aj++;
                ai = sym == MM_GENERAL ? 0 : sym == MM_SYMMETRIC ? aj : aj + 1;
            }
        }
        /* Duplicate coordinate entries add up, as in most readers. */
        t->v[i * n + j] += v;
        if (i != j && sym == MM_SYMMETRIC) t->v[j * n + i] += v;
        if (i != j && sym == MM_SKEW) t->v[j * n + i] -= v;
    }
    if (next_line(&r)) {
        fail(err, cap, "%s:%ld: more entries than the %lld the size line declares.", path,
             r.lineno, (long long)count);
        goto out;
    }
    rc = 0;
out:
    if (rc) tensor_free(t);
    free(r.line);
    fclose(r.f);
    return rc;
}

int io_read(const char *path, tensor *t, char *err, size_t cap) {
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".npy") == 0) return npy_read(path, t, err, cap);
    if (dot && strcasecmp(dot, ".mtx") == 0) return mtx_read(path, t, err, cap);
    memset(t, 0, sizeof *t);
    return fail(err, cap, "%s: unknown file type (expected .npy or .mtx).", path);
}
