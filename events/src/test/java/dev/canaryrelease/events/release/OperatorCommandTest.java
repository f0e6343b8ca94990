package dev.canaryrelease.events.release;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one table of where an operator's command is taken (deploy-service and the gateway). */
class OperatorCommandTest {

    @ParameterizedTest(name = "{0}: promote {1}, abort {2}, rollback {3}")
    @CsvSource({
        "PENDING,         no,  yes, no",
        "BUILDING,        no,  yes, no",
        "BUILT,           no,  yes, no",
        "CANARY_UPDATING, no,  yes, no",
        "CANARY_LIVE,     yes, yes, no",
        "PROMOTING,       no,  yes, no",
        "PROMOTED,        no,  no,  yes",
        "FAILED,          no,  no,  no",
        "ROLLING_BACK,    no,  no,  no",
        "ROLLED_BACK,     no,  no,  no",
        "ABORTED,         no,  no,  no",
        "SUPERSEDED,      no,  no,  no",
    })
    void takenOnlyWhereTheTableSays(Phase phase, String promote, String abort, String rollback) {
        check(OperatorCommand.PROMOTE, phase, promote);
        check(OperatorCommand.ABORT, phase, abort);
        check(OperatorCommand.ROLLBACK, phase, rollback);
    }

    private static void check(OperatorCommand c, Phase phase, String taken) {
        if (taken.equals("yes")) {
            assertNull(c.refusal(phase), c + " in " + phase);
        } else {
            assertEquals(c.whyNot(), c.refusal(phase), c + " in " + phase);
        }
    }
}
