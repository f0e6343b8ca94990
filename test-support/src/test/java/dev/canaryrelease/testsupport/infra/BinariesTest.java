package dev.canaryrelease.testsupport.infra;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BinariesTest {

    @Test
    void aMissingBinaryNamesItsDebianPackage() {
        IllegalStateException e =
                assertThrows(
                        IllegalStateException.class,
                        () -> Binaries.require("no-such-binary-canary", "canary-pkg"));
        assertTrue(e.getMessage().contains("apt-get install -y canary-pkg"), e.getMessage());
    }

    @Test
    void findsInstalledOnes() {
        assertTrue(Binaries.require("dockerd", "docker.io").isAbsolute());
    }
}
