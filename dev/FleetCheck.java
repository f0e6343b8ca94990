// Loads a fleet file with the project's own FleetLoader (dev/up runs it on .canary/fleet.yaml):
//   java -cp events/target/classes:<snakeyaml> dev/FleetCheck.java .canary/fleet.yaml
import dev.canaryrelease.fleet.Fleet;
import dev.canaryrelease.fleet.FleetLoader;
import java.nio.file.Path;

public class FleetCheck {
    public static void main(String[] args) {
        Fleet fleet = FleetLoader.load(Path.of(args[0]));
        System.out.println("fleet ok: " + fleet.hosts().size() + " hosts, " + fleet.apps().size() + " apps");
    }
}
