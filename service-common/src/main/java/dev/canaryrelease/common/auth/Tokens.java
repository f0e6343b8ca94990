package dev.canaryrelease.common.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The API tokens file: one {@code <role> <name> <token>} line each, role {@code operator} or {@code
 * viewer}, {@code #} comments and blank lines ignored. Only SHA-256 digests of the tokens are kept;
 * a lookup compares the digest of the given token with every entry in constant time.
 */
public final class Tokens {

    /** What a token may do: a viewer reads; an operator reads and acts. */
    public enum Role {
        VIEWER,
        OPERATOR;

        public boolean allows(Role needed) {
            return this.ordinal() >= needed.ordinal();
        }
    }

    /** Who called: the token's name (the operator identity in the audit trail) and role. */
    public record Caller(String name, Role role) {}

    private record Entry(Role role, String name, byte[] digest) {}

    private final List<Entry> entries;

    private Tokens(List<Entry> entries) {
        this.entries = entries;
    }

    /**
     * Reads a tokens file.
     *
     * @throws IllegalArgumentException naming the file and line of a bad line
     */
    public static Tokens load(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read tokens file " + file, e);
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\\s+");
            String where = file + ":" + (i + 1) + ": ";
            if (f.length != 3) {
                throw new IllegalArgumentException(where + "expected '<role> <name> <token>'");
            }
            Role role;
            try {
                role = Role.valueOf(f[0].toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        where + "role '" + f[0] + "' is not operator or viewer");
            }
            if (f[2].length() < 16) {
                throw new IllegalArgumentException(
                        where + "the token of " + f[1] + " is shorter than 16 characters");
            }
            entries.add(new Entry(role, f[1], sha256(f[2])));
        }
        return new Tokens(List.copyOf(entries));
    }

    /** The caller a token belongs to; every entry is compared, in constant time each. */
    public Optional<Caller> lookup(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        byte[] given = sha256(token);
        Entry found = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(e.digest(), given) && found == null) {
                found = e;
            }
        }
        return found == null
                ? Optional.empty()
                : Optional.of(new Caller(found.name(), found.role()));
    }

    public int size() {
        return entries.size();
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
