package dev.stevedore.operator;

import dev.stevedore.testkit.kube.TestKubernetes;
import io.fabric8.kubernetes.client.Config;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Points the operator under test at a real kube-apiserver (kube-api-test), one for all the operator's tests, with
 * the committed CRD already established.
 */
public class KubernetesTestResource implements QuarkusTestResourceLifecycleManager {

    static TestKubernetes kube;

    @Override
    public Map<String, String> start() {
        kube = TestKubernetes.apiServer().start();
        // Established before the operator starts: an informer started against a CRD the API server does not serve
        // yet fails with 404, and Quarkus with it.
        try {
            PackagedOperator.installCrd(kube.client());
        } catch (Exception e) {
            throw new IllegalStateException("could not install the JobWorkerPool CRD: " + e.getMessage(), e);
        }
        Config config = Config.fromKubeconfig(kube.kubeconfigYaml());
        return Map.of(
                "quarkus.kubernetes-client.api-server-url", config.getMasterUrl(),
                "quarkus.kubernetes-client.ca-cert-file", config.getCaCertFile(),
                "quarkus.kubernetes-client.client-cert-file", config.getClientCertFile(),
                "quarkus.kubernetes-client.client-key-file", config.getClientKeyFile(),
                "quarkus.kubernetes-client.devservices.enabled", "false",
                "quarkus.operator-sdk.crd.apply", "true");
    }

    @Override
    public void stop() {
        if (kube != null) {
            kube.close();
        }
    }
}
