package dev.stevedore.dashboard;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * The dashboard process. The environment is checked before anything starts, so a bad value ends the process at once
 * with one line naming the variable (exit code 1).
 */
@QuarkusMain
public class DashboardMain {

    public static void main(String... args) {
        try {
            DashboardSettings settings = DashboardSettings.fromEnvironment(System.getenv());
            System.out.println("stevedore-dashboard: " + settings);
        } catch (DashboardSettings.InvalidSetting e) {
            System.err.println("stevedore-dashboard: " + e.getMessage());
            System.exit(1);
        }
        Quarkus.run(args);
    }
}
