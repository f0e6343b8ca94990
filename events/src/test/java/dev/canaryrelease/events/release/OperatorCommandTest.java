package dev.canaryrelease.events.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one table of where an operator's command is taken (deploy-service and the gateway). */
class OperatorCommandTest {

    @ParameterizedTest(
            name =
                    "{0}: promote {1}, full promote {2}, abort {3}, rollback {4}, pause {5},"
                            + " resume {6}")
    @CsvSource({
        "PENDING,         no,  no,  yes, no,  no,  no",
        "BUILDING,        no,  no,  yes, no,  no,  no",
        "BUILT,           no,  no,  yes, no,  no,  no",
        "CANARY_UPDATING, no,  no,  yes, no,  no,  no",
        "CANARY_LIVE,     yes, yes, yes, no,  no,  no",
        "PROMOTING,       no,  yes, yes, no,  yes, no",
        "PAUSED,          no,  no,  yes, no,  no,  yes",
        "PROMOTED,        no,  no,  no,  yes, no,  no",
        "FAILED,          no,  no,  no,  no,  no,  no",
        "ROLLING_BACK,    no,  no,  no,  no,  no,  no",
        "ROLLED_BACK,     no,  no,  no,  no,  no,  no",
        "ABORTED,         no,  no,  no,  no,  no,  no",
        "SUPERSEDED,      no,  no,  no,  no,  no,  no",
    })
    void takenOnlyWhereTheTableSays(
            Phase phase,
            String promote,
            String fullPromote,
            String abort,
            String rollback,
            String pause,
            String resume) {
        check(OperatorCommand.PROMOTE, phase, promote);
        check(OperatorCommand.FULL_PROMOTE, phase, fullPromote);
        check(OperatorCommand.ABORT, phase, abort);
        check(OperatorCommand.ROLLBACK, phase, rollback);
        check(OperatorCommand.PAUSE, phase, pause);
        check(OperatorCommand.RESUME, phase, resume);
        check(OperatorCommand.RETRY, phase, phase == Phase.FAILED ? "yes" : "no");
    }

    private static void check(OperatorCommand c, Phase phase, String taken) {
        if (taken.equals("yes")) {
            assertNull(c.refusal(phase), c + " in " + phase);
        } else {
            assertEquals(c.whyNot(), c.refusal(phase), c + " in " + phase);
        }
    }
}
