package dev.canaryrelease.builder.domain;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The log of one build: a plain text file, one line per step output, flushed at each line so {@code
 * GET /builds/{id}/log?follow=true} sees it at once. Keeps the last lines in memory to quote them
 * in a failure reason. Never write secrets here.
 */
public final class BuildLog implements Closeable {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS");
    private static final int TAIL = 50;

    private final Path file;
    private final BufferedWriter out;
    private final Deque<String> tail = new ArrayDeque<>();
    private boolean open = true;

    private BuildLog(Path file, BufferedWriter out) {
        this.file = file;
        this.out = out;
    }

    /** Opens (appending) the log file, creating its folder. */
    public static BuildLog open(Path file) {
        try {
            Files.createDirectories(file.getParent());
            return new BuildLog(
                    file,
                    Files.newBufferedWriter(
                            file,
                            StandardCharsets.UTF_8,
                            StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path file() {
        return file;
    }

    /** Appends one line (or several, split on newlines) with the time of day. */
    public synchronized void line(String text) {
        if (!open || text == null) {
            return;
        }
        String stamp = LocalTime.now().truncatedTo(ChronoUnit.MILLIS).format(TIME);
        try {
            for (String l : text.split("\\r?\\n", -1)) {
                if (l.isEmpty() && text.endsWith("\n")) {
                    continue;
                }
                String clean = l.stripTrailing();
                out.write(stamp);
                out.write(' ');
                out.write(clean);
                out.write('\n');
                tail.addLast(clean);
                if (tail.size() > TAIL) {
                    tail.removeFirst();
                }
            }
            out.flush();
        } catch (IOException e) {
            // The build goes on without its log rather than failing for it.
            open = false;
        }
    }

    public void linef(String format, Object... args) {
        line(String.format(format, args));
    }

    /** The last {@code n} non-blank lines written. */
    public synchronized List<String> lastLines(int n) {
        List<String> all = new ArrayList<>(tail.stream().filter(s -> !s.isBlank()).toList());
        return all.subList(Math.max(0, all.size() - n), all.size());
    }

    @Override
    public synchronized void close() {
        if (open) {
            open = false;
            try {
                out.close();
            } catch (IOException e) {
                // nothing more to write
            }
        }
    }
}
