package dev.canaryrelease.builder.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;

/** Configuration of build-service ({@code canary.data-dir} and {@code canary.build.*}). */
@ConfigMapping(prefix = "canary")
public interface BuildConfig {

    /**
     * Folder of the files this service keeps: {@code builds/<release>.json} (the record of each
     * build), {@code logs/<release>.log} (its log), {@code work/} (workspaces, removed after each
     * build) and {@code mirrors/<hash>.git} (a local git mirror per clone URL, kept while its
     * repository is in the fleet).
     */
    @WithName("data-dir")
    @WithDefault(".canary/build")
    Path dataDir();

    /** The build settings. */
    Build build();

    interface Build {
        /** How many builds run at once; the others wait in the queue. */
        @WithDefault("2")
        int poolSize();

        /** A build still running after this long is stopped and fails with reason timeout. */
        @WithDefault("10m")
        Duration deadline();

        /** Network timeout of one Git operation (connect and read). */
        @WithDefault("60s")
        Duration gitTimeout();

        /** Connect timeout to the build engine: an engine that is down fails the build fast. */
        @WithDefault("5s")
        Duration engineConnectTimeout();

        /**
         * Whether a build needs an engine whose containers run in a user namespace ({@code dockerd
         * --userns-remap}, or a rootless engine). Only there do a root build step's processes count
         * against the {@code nproc} ulimit that carries the app's pids limit ({@code
         * apps[].build.pids}): the kernel exempts the host's uid 0 from it. On any other engine a
         * build fails with reason {@code engine not isolated} before the engine sees it. {@code
         * false} accepts such an engine, and with it root steps that the pids limit does not bound.
         */
        @WithDefault("true")
        boolean requireUserns();

        /** How many of the last log lines a failed build step quotes in its reason. */
        @WithDefault("8")
        int reasonLogLines();

        /**
         * Base URL of this service as others reach it (e.g. {@code http://127.0.0.1:8081}); the log
         * location in events is {@code <base>/builds/<release>/log}. Without it the location is the
         * path alone.
         */
        Optional<String> publicUrl();
    }
}
