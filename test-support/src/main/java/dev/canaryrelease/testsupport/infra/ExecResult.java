package dev.canaryrelease.testsupport.infra;

import java.util.List;

/** What a finished command gave: its exit code, standard output and standard error. */
public record ExecResult(List<String> command, int exitCode, String stdout, String stderr) {

    /** True when the command exited with 0. */
    public boolean ok() {
        return exitCode == 0;
    }

    /** This result when the command exited with 0, else an {@link IllegalStateException}. */
    public ExecResult orThrow() {
        if (!ok()) {
            throw new IllegalStateException(
                    String.join(" ", command)
                            + " exited with "
                            + exitCode
                            + "\nstdout: "
                            + stdout.strip()
                            + "\nstderr: "
                            + stderr.strip());
        }
        return this;
    }
}
