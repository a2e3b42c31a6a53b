/*
 * The `lapis` command: info, run, demo, bench, help.
 */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

/* The benchmark suites are separate files that may not be built yet (or, for
 * the GPU, not in a CPU-only build): weak references resolve to NULL then. */
int lapis_bench_cpu(const bench_options *opt) __attribute__((weak));
int lapis_bench_gpu(const bench_options *opt) __attribute__((weak));

static void usage(FILE *f) {
    fprintf(f,
            "lapis %s: batched dense linear algebra on the CPU and NVIDIA GPUs\n\n"
            "usage: lapis COMMAND [options]\n\n"
            "commands:\n"
            "  info                 build configuration, BLAS/LAPACK, CUDA and devices\n"
            "  run OP [options]     one op on generated or loaded matrices: time, GFLOP/s,\n"
            "                       backward-error ratio (lapis run --help)\n"
            "  demo [--device D]    the seed's examples on every available device, one table\n"
            "  bench [options]      the benchmark suite against the peers (lapis bench --help)\n"
            "  help                 this text\n",
            LAPIS_VERSION_STRING);
}

static int cmd_info(void) {
    fputs(lapis_build_info(), stdout);
    printf("devices:\n");
    lapis_device def = lapis_default_device();
    printf("  cpu      available, %d thread(s)%s\n", lapis_num_threads(),
           def.type == LAPIS_CPU ? " (default)" : "");
    int ngpu = lapis_device_count(LAPIS_GPU);
    for (int i = 0; i < ngpu; i++) {
        lapis_device d = {LAPIS_GPU, i};
        printf("  gpu:%-4d %s%s\n", i, lapis_device_is_available(d) ? "available" : "not usable",
               def.type == LAPIS_GPU && def.index == i ? " (default)" : "");
    }
    if (ngpu == 0)
        printf("  gpu      not available: %s\n",
               device_unavailable_reason((lapis_device){LAPIS_GPU, 0}));
    printf("benchmarks: cpu %s, gpu %s\n", lapis_bench_cpu ? "built" : "not built",
           lapis_bench_gpu ? "built" : "not built");
    return 0;
}

static void bench_usage(FILE *f) {
    fprintf(f, "usage: lapis bench [--device cpu|gpu] [--ops a,b] [--sizes n1,n2] [--batch B]\n"
               "                   [--quick] [--csv FILE|-]\n"
               "  Without --device, every available device is benchmarked. GPU: --sizes may\n"
               "  name other orders from 33 to 1000, run batched (2^26 / n^2 matrices).\n");
}

static int cmd_bench(int argc, char **argv) {
    bench_options opt = {0};
    const char *dev = NULL, *csv = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        if (!strcmp(a, "--quick")) opt.quick = 1;
        else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            bench_usage(stdout);
            return 0;
        } else if (has && !strcmp(a, "--device")) dev = argv[++i];
        else if (has && !strcmp(a, "--ops")) opt.ops = argv[++i];
        else if (has && !strcmp(a, "--sizes")) opt.sizes = argv[++i];
        else if (has && !strcmp(a, "--csv")) csv = argv[++i];
        else if (has && !strcmp(a, "--batch")) {
            char *end;
            opt.batch = strtol(argv[++i], &end, 10);
            if (*end || opt.batch < 0) {
                fprintf(stderr, "lapis bench: --batch wants a number >= 0.\n");
                return 2;
            }
        } else {
            fprintf(stderr, "lapis bench: unknown or incomplete option '%s'.\n", a);
            bench_usage(stderr);
            return 2;
        }
    }
    lapis_device d;
    if (dev && parse_device(dev, &d)) {
        fprintf(stderr, "lapis bench: --device is cpu or gpu, not '%s'.\n", dev);
        return 2;
    }
    bool want_cpu = !dev || d.type == LAPIS_CPU, want_gpu = !dev || d.type == LAPIS_GPU;
    lapis_device gpu = {LAPIS_GPU, 0};
    if (dev && want_gpu && !lapis_device_is_available(gpu)) {
        fprintf(stderr, "lapis bench: gpu is not available: %s.\n",
                device_unavailable_reason(gpu));
        return 1;
    }
    if (csv) {
        opt.csv = strcmp(csv, "-") == 0 ? stdout : fopen(csv, "w");
        if (!opt.csv) {
            perror(csv);
            return 1;
        }
    }
    int rc = 0;
    if (want_cpu) {
        if (lapis_bench_cpu) rc |= lapis_bench_cpu(&opt);
        else {
            printf("cpu: benchmark suite not built\n");
            rc |= dev != NULL;
        }
    }
    if (want_gpu && lapis_device_is_available(gpu)) {
        if (lapis_bench_gpu) rc |= lapis_bench_gpu(&opt);
        else {
            printf("gpu: benchmark suite not built\n");
            rc |= dev != NULL;
        }
    } else if (want_gpu) {
        printf("gpu: skipped (%s)\n", device_unavailable_reason(gpu));
    }
    if (opt.csv && opt.csv != stdout) fclose(opt.csv);
    return rc ? 1 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "info")) return cmd_info();
    if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "demo")) return cmd_demo(argc - 2, argv + 2);
    if (!strcmp(cmd, "bench")) return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("lapis %s\n", LAPIS_VERSION_STRING);
        return 0;
    }
    fprintf(stderr, "lapis: unknown command '%s'.\n\n", cmd);
    usage(stderr);
    return 2;
}
