package dev.stevedore.operator;

import java.nio.file.Path;

/** Lets tests in other packages reach the running test API server's kubeconfig file. */
public final class KubernetesTestResourceAccessor {

    private KubernetesTestResourceAccessor() {}

    public static Path kubeconfig() {
        return KubernetesTestResource.kube.kubeconfigFile();
    }
}
