package dev.canaryrelease.testsupport.infra;

import java.nio.file.Path;

/** PEM files for one side of a TLS connection: the CA to trust, our certificate and its key. */
public record TlsFiles(Path ca, Path cert, Path key) {}
