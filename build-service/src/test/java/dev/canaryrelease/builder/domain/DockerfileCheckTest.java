package dev.canaryrelease.builder.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class DockerfileCheckTest {
    static final String REG = "127.0.0.1:5000";

    @Test
    void scratchStagesAndTheRegistryAreAllowed() {
        String df =
                """
                # comment
                FROM scratch AS base
                COPY busybox /bin/busybox
                FROM --platform=linux/amd64 127.0.0.1:5000/tools:1 AS tools
                from base
                COPY --from=tools /x /x
                """;
        assertEquals(List.of(), DockerfileCheck.refusedImages(df, REG));
    }

    @Test
    void dockerHubAndVariablesAreRefused() {
        String df =
                """
                FROM alpine:3.20 AS alpine
                FROM alpine
                FROM docker.io/library/busybox
                FROM ${BASE}
                FROM 127.0.0.1:5000/$X
                FROM \\
                  debian:12
                """;
        assertEquals(
                List.of(
                        "FROM alpine:3.20",
                        "FROM docker.io/library/busybox",
                        "FROM ${BASE}",
                        "FROM 127.0.0.1:5000/$X",
                        "FROM debian:12"),
                DockerfileCheck.refusedImages(df, REG));
    }

    @Test
    void copyFromAndRunMountFromNameOnlyStagesOrTheRegistry() {
        String df =
                """
                FROM scratch AS base
                COPY --from=busybox /bin/busybox /bin/busybox
                COPY --chown=1:1 --from=docker.io/library/alpine:3.20 /etc/passwd /etc/
                copy --from=base /x /x
                COPY --from=0 /x /y
                COPY --from=1 /x /z
                COPY --from=127.0.0.1:5000/tools:1 /t /t
                COPY --from=$IMG /a /a
                RUN --mount=type=bind,from=alpine,target=/mnt ["/bin/busybox", "true"]
                RUN --network=none --mount=type=cache,target=/c --mount=from=base,target=/b \
                    ["/bin/busybox", "true"]
                FROM base
                COPY --from=1 /x /z
                """;
        assertEquals(
                List.of(
                        "COPY --from=busybox",
                        "COPY --from=docker.io/library/alpine:3.20",
                        "COPY --from=1",
                        "COPY --from=$IMG",
                        "RUN --mount=from=alpine"),
                DockerfileCheck.refusedImages(df, REG));
    }

    @Test
    void credentialsAreRedactedFromUrls() {
        assertEquals(
                "https://***@github.com/o/r.git",
                Reasons.redactUrl("https://x-access-token:ghp_secret@github.com/o/r.git"));
        assertEquals("file:///tmp/r.git", Reasons.redactUrl("file:///tmp/r.git"));
    }
}
