package dev.canaryrelease.fleet;

import java.util.List;

/**
 * The fleet file is invalid; the message lists every problem as {@code file:line: path: problem}.
 */
public class FleetException extends RuntimeException {
    private final List<String> problems;

    public FleetException(String file, List<String> problems) {
        super("invalid fleet file " + file + ":\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
