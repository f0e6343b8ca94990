package dev.canaryrelease.ctl;

/** A failure as the operator reads it: one sentence, and the exit code. */
final class CtlException extends RuntimeException {
    final int exitCode;

    CtlException(int exitCode, String sentence) {
        super(sentence, null, false, false);
        this.exitCode = exitCode;
    }
}
