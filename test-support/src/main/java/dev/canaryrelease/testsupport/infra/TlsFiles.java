package dev.canaryrelease.testsupport.infra;

import java.nio.file.Path;

/** PEM files for one side of a TLS connection: the CA to trust, our certificate and its key. */
public record TlsFiles(Path ca, Path cert, Path key) {

    /**
     * The folder holding {@code ca.pem}, {@code cert.pem} and {@code key.pem} (what {@code
     * DOCKER_CERT_PATH} and docker-java's {@code withDockerCertPath} expect) — for files made by
     * {@link Pki}.
     */
    public Path dir() {
        return cert.getParent();
    }
}
