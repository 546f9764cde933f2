package dev.stevedore.e2e.install;

import dev.stevedore.e2e.cluster.LocalCluster;
import dev.stevedore.e2e.cluster.StevedoreImages;
import java.util.ArrayList;
import java.util.List;

/**
 * The operator installed into the local cluster by its Helm chart, as the README's install command does it, with
 * the images the cluster's registry holds: for the end-to-end scenarios and the sandbox.
 */
public final class OperatorRelease {

    public static final String NAME = "stevedore-operator";
    public static final String NAMESPACE = "stevedore-system";

    private OperatorRelease() {}

    /** {@code helm install ... --wait}: returns when the operator's Pods are Ready. {@code sets} are more {@code --set} values. */
    public static Helm.Result install(Helm helm, LocalCluster cluster, StevedoreImages images, String... sets) {
        String image = images.operator();
        List<String> args = new ArrayList<>(List.of("install", NAME, helm.chart().toString(), "--namespace", NAMESPACE, "--create-namespace",
                "--set", "image.repository=" + image.substring(0, image.lastIndexOf(':')),
                "--set", "image.tag=" + image.substring(image.lastIndexOf(':') + 1)));
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        args.addAll(List.of("--wait", "--timeout", "3m"));
        return helm.run(cluster, args.toArray(String[]::new)).requireSuccess("helm install " + NAME);
    }

    public static Helm.Result uninstall(Helm helm, LocalCluster cluster) {
        return helm.run(cluster, "uninstall", NAME, "--namespace", NAMESPACE, "--wait");
    }
}
