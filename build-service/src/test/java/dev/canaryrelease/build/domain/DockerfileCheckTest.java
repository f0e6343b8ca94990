package dev.canaryrelease.build.domain;

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
        assertEquals(List.of(), DockerfileCheck.foreignBaseImages(df, REG));
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
                        "alpine:3.20",
                        "docker.io/library/busybox",
                        "${BASE}",
                        "127.0.0.1:5000/$X",
                        "debian:12"),
                DockerfileCheck.foreignBaseImages(df, REG));
    }

    @Test
    void credentialsAreRedactedFromUrls() {
        assertEquals(
                "https://***@github.com/o/r.git",
                Reasons.redactUrl("https://x-access-token:ghp_secret@github.com/o/r.git"));
        assertEquals("file:///tmp/r.git", Reasons.redactUrl("file:///tmp/r.git"));
    }
}
