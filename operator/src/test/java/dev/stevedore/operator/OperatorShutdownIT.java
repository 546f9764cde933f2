package dev.stevedore.operator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.stevedore.testkit.kube.TestKubernetes;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * SIGTERM (what the kubelet sends an operator Pod) stops the packaged operator, leader election and all, in
 * seconds: a hung shutdown would hold every rollout for the whole grace period and end in SIGKILL.
 */
class OperatorShutdownIT {

    @RegisterExtension
    static final TestKubernetes kube = TestKubernetes.apiServer();

    @Test
    void theLeadingOperatorExitsPromptlyOnSigterm() throws Exception {
        PackagedOperator.installCrd(kube.client());
        String token = PackagedOperator.installClusterWide(kube.client());
        Process operator = PackagedOperator.start(kube, "shutdown", token, Map.of());
        try {
            operator.destroy(); // SIGTERM
            boolean exited = operator.waitFor(20, TimeUnit.SECONDS);
            assertThat(exited).as("exited within 20 s of SIGTERM; log:\n%s", Files.readString(PackagedOperator.log("shutdown"))).isTrue();
        } finally {
            operator.destroyForcibly();
        }
    }
}
