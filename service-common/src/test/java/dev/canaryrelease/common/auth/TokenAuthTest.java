package dev.canaryrelease.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;

/** What a caller gets back for each kind of Authorization header. */
class TokenAuthTest {
    static final String OPERATOR = "op-token-0123456789abcdef";
    static final String VIEWER = "view-token-0123456789abcdef";

    @TempDir Path dir;
    TokenAuth auth;

    @BeforeEach
    void tokens() throws Exception {
        Path f = dir.resolve("api-tokens");
        Files.writeString(f, "operator ops " + OPERATOR + "\nviewer watcher " + VIEWER + "\n");
        auth = new TokenAuth(Tokens.load(f));
    }

    Response refused(String authorization, Role needed) {
        return assertThrows(
                        WebApplicationException.class, () -> auth.require(authorization, needed))
                .getResponse();
    }

    void assertUnauthorized(String authorization, String reason) {
        Response r = refused(authorization, Role.VIEWER);
        assertEquals(401, r.getStatus());
        assertEquals(
                "Bearer realm=\"canary-release\"", r.getHeaderString(HttpHeaders.WWW_AUTHENTICATE));
        assertEquals(Map.of("error", reason), r.getEntity());
    }

    @Test
    void noTokenAWrongSchemeOrAnUnknownTokenIs401WithTheChallenge() {
        assertUnauthorized(null, "missing bearer token");
        assertUnauthorized("  ", "missing bearer token");
        assertUnauthorized(
                "Basic b3BzOnNlY3JldA==", "the Authorization header is not a bearer token");
        assertUnauthorized("Bearer", "the Authorization header is not a bearer token");
        assertUnauthorized("Bearer " + OPERATOR + "x", "unknown token");
        assertUnauthorized("Bearer " + OPERATOR.substring(1), "unknown token");
    }

    @Test
    void aViewerTokenOnAWriteIs403NamingTheRole() {
        Response r = refused("Bearer " + VIEWER, Role.OPERATOR);
        assertEquals(403, r.getStatus());
        assertNull(r.getHeaderString(HttpHeaders.WWW_AUTHENTICATE));
        assertEquals(
                Map.of("error", "watcher is a viewer: this needs the operator role"),
                r.getEntity());
    }

    @Test
    void theRightTokenGivesItsCallerWhateverTheSchemesCase() {
        assertEquals(
                new Caller("watcher", Role.VIEWER), auth.require("Bearer " + VIEWER, Role.VIEWER));
        assertEquals(
                new Caller("ops", Role.OPERATOR),
                auth.require("bearer  " + OPERATOR + " ", Role.OPERATOR));
        assertEquals(
                new Caller("ops", Role.OPERATOR), auth.require("BEARER " + OPERATOR, Role.VIEWER));
    }

    @Test
    void readsNeedTheViewerWritesTheOperator() {
        assertEquals(Role.VIEWER, TokenAuth.neededFor("GET"));
        assertEquals(Role.VIEWER, TokenAuth.neededFor("head"));
        assertEquals(Role.VIEWER, TokenAuth.neededFor("OPTIONS"));
        for (String m : new String[] {"POST", "PUT", "DELETE", "PATCH", "PROPFIND"}) {
            assertEquals(Role.OPERATOR, TokenAuth.neededFor(m), m);
        }
    }
}
