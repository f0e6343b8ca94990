package dev.canaryrelease.gateway.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import dev.canaryrelease.common.auth.Tokens;

class WebhookPartsTest {
    @Test
    void githubsDocumentedSignatureExample() {
        // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
        byte[] body = "Hello, World!".getBytes(StandardCharsets.UTF_8);
        WebhookSignature s =
                new WebhookSignature("It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8));
        String expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assertEquals(expected, s.sign(body));
        assertTrue(s.verify(expected, body));
        assertFalse(s.verify(expected.replace('7', '8'), body));
        assertFalse(s.verify("sha1=" + expected.substring(7), body));
        assertFalse(s.verify("sha256=zz", body));
    }

    @Test
    void tokensFile() throws Exception {
        Path f = Files.createTempFile("tokens", "");
        Files.writeString(
                f,
                "# comment\noperator alice aaaaaaaaaaaaaaaaaaaa\nviewer bob bbbbbbbbbbbbbbbbbbbb\n");
        Tokens t = Tokens.load(f);
        assertEquals(
                Optional.of(new Tokens.Caller("alice", Tokens.Role.OPERATOR)),
                t.lookup("aaaaaaaaaaaaaaaaaaaa"));
        assertEquals(Tokens.Role.VIEWER, t.lookup("bbbbbbbbbbbbbbbbbbbb").get().role());
        assertEquals(Optional.empty(), t.lookup("aaaaaaaaaaaaaaaaaaab"));
        assertEquals(Optional.empty(), t.lookup(""));
        Files.writeString(f, "admin carol cccccccccccccccccccc\n");
        IllegalArgumentException e =
                org.junit.jupiter.api.Assertions.assertThrows(
                        IllegalArgumentException.class, () -> Tokens.load(f));
        assertTrue(e.getMessage().contains(":1: role 'admin'"), e.getMessage());
    }
}
