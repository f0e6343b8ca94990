package dev.canaryrelease.dns;

import java.nio.file.Path;

import dev.canaryrelease.testsupport.TestFleet;

/** Fleet files for the tests: the reference fleet on 127.0.0.x with a given dns section. */
final class TestFleets {
    private TestFleets() {}

    /**
     * Writes {@code dir/fleet.yaml}. {@code docker1Ssh} is the {@code ssh:} mapping of docker1's
     * engine (empty: placeholder files).
     */
    static Path write(Path dir, String dnsSection, String docker1Ssh) {
        TestFleet.Builder fleet = TestFleet.reference().dns(dnsSection);
        if (!docker1Ssh.isEmpty()) {
            fleet.host("docker1", "127.0.0.12", null, "{driver: ssh, ssh: " + docker1Ssh + "}");
        }
        return fleet.writeIn(dir);
    }
}
