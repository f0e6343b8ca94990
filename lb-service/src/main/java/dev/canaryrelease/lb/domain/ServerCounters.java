package dev.canaryrelease.lb.domain;

/**
 * One server's cumulative counters in one HAProxy instance, as {@code show stat} gives them at one
 * moment: requests ({@code req_tot}, or {@code stot} where HAProxy has no {@code req_tot}), {@code
 * hrsp_5xx}, {@code econ}, {@code eresp}, {@code wretr} (attempts retried: with {@code retry-on} a
 * 5xx of this server is retried elsewhere and counted here, not in {@code hrsp_5xx}), and the
 * server's status. The process's pid says whether two reads come from the same process: a reload
 * starts the counters again from 0.
 */
public record ServerCounters(
        String instance,
        long pid,
        ServerKey key,
        String status,
        long requests,
        long http5xx,
        long connectionErrors,
        long responseErrors,
        long retries) {}
