package dev.canaryrelease.gateway.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class ApiDocsGateTest {

    @Test
    void onByDefaultOnlyOnLoopback() {
        record Case(String host, Optional<Boolean> configured, boolean on) {}
        for (Case c :
                new Case[] {
                    new Case("127.0.0.1", Optional.empty(), true),
                    new Case("127.0.0.10", Optional.empty(), true),
                    new Case("localhost", Optional.empty(), true),
                    new Case("::1", Optional.empty(), true),
                    new Case("[::1]", Optional.empty(), true),
                    new Case("0.0.0.0", Optional.empty(), false),
                    new Case("::", Optional.empty(), false),
                    new Case("10.0.0.5", Optional.empty(), false),
                    new Case("128.0.0.1", Optional.empty(), false),
                    new Case("127.0.0.300", Optional.empty(), false),
                    new Case("gateway.proserveau.local", Optional.empty(), false),
                    new Case("127.example.com", Optional.empty(), false),
                    new Case("", Optional.empty(), false),
                    new Case(null, Optional.empty(), false),
                    new Case("0.0.0.0", Optional.of(true), true),
                    new Case("127.0.0.1", Optional.of(false), false),
                }) {
            assertEquals(c.on(), ApiDocsGate.enabled(c.host(), c.configured()), c.toString());
        }
    }

    @Test
    void pathsUnderTheNonApplicationRoot() {
        assertEquals("/q/openapi", ApiDocsGate.under("q", "openapi"));
        assertEquals("/q/swagger-ui", ApiDocsGate.under("/q/", "swagger-ui"));
        assertEquals("/docs", ApiDocsGate.under("q", "/docs"));
    }
}
