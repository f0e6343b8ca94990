package dev.canaryrelease.common.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.canaryrelease.common.auth.Tokens.Caller;
import dev.canaryrelease.common.auth.Tokens.Role;

class TokensTest {
    @TempDir Path dir;

    @Test
    void readsRolesNamesAndTokensSkippingCommentsAndBlankLines() throws Exception {
        Path f = dir.resolve("api-tokens");
        Files.writeString(
                f,
                "# <role> <name> <token>\n\n"
                        + "operator alice aaaaaaaaaaaaaaaaaaaa\n"
                        + "  viewer   bob   bbbbbbbbbbbbbbbbbbbb  \n"
                        + "VIEWER prometheus cccccccccccccccccccc\n");
        Tokens t = Tokens.load(f);
        assertEquals(3, t.size());
        assertEquals(
                Optional.of(new Caller("alice", Role.OPERATOR)), t.lookup("aaaaaaaaaaaaaaaaaaaa"));
        assertEquals(Optional.of(new Caller("bob", Role.VIEWER)), t.lookup("bbbbbbbbbbbbbbbbbbbb"));
        assertEquals("prometheus", t.lookup("cccccccccccccccccccc").get().name());
        assertEquals(Optional.empty(), t.lookup("aaaaaaaaaaaaaaaaaaab"));
        assertEquals(Optional.empty(), t.lookup("aaaaaaaaaaaaaaaaaaa"));
        assertEquals(Optional.empty(), t.lookup(""));
        assertEquals(Optional.empty(), t.lookup(null));
    }

    @Test
    void anOperatorMayDoWhatAViewerMayNotTheOtherWayRound() {
        assertTrue(Role.OPERATOR.allows(Role.VIEWER));
        assertTrue(Role.OPERATOR.allows(Role.OPERATOR));
        assertTrue(Role.VIEWER.allows(Role.VIEWER));
        assertTrue(!Role.VIEWER.allows(Role.OPERATOR));
    }

    @Test
    void aBadLineNamesTheFileAndLineButNeverTheToken() throws Exception {
        Path f = dir.resolve("api-tokens");
        Files.writeString(
                f, "operator alice aaaaaaaaaaaaaaaaaaaa\nadmin carol cccccccccccccccccccc\n");
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> Tokens.load(f));
        assertTrue(e.getMessage().startsWith(f + ":2: role 'admin'"), e.getMessage());
        assertTrue(!e.getMessage().contains("cccc"), e.getMessage());

        Files.writeString(f, "viewer bob\n");
        e = assertThrows(IllegalArgumentException.class, () -> Tokens.load(f));
        assertEquals(f + ":1: expected '<role> <name> <token>'", e.getMessage());

        Files.writeString(f, "viewer bob short-token\n");
        e = assertThrows(IllegalArgumentException.class, () -> Tokens.load(f));
        assertEquals(f + ":1: the token of bob is shorter than 16 characters", e.getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = dir.resolve("nope");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Tokens.load(f));
        assertEquals("cannot read tokens file " + f, e.getMessage());
    }
}
