{{/* The release's full name: the release name, or <release>-stevedore-operator when it does not say so already. */}}
{{- define "stevedore-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "stevedore-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "stevedore-operator.labels" -}}
{{ include "stevedore-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: stevedore
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "stevedore-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "stevedore-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false: name the existing ServiceAccount" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "stevedore-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The rules the operator's build generates from its controllers (operator/target/kubernetes/kubernetes.yml), which the
operator's tests run under; the same list goes into the ClusterRole (all namespaces) or into a Role in each watched
namespace. HelmChartTest fails when they differ. Nodes are cluster-scoped: rbac.yaml grants reading them apart.
*/}}
{{- define "stevedore-operator.poolRules" -}}
- apiGroups: [stevedore.dev]
  resources: [jobworkerpools, jobworkerpools/status, jobworkerpools/finalizers]
  verbs: [get, list, watch, patch, update, create, delete]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [policy]
  resources: [poddisruptionbudgets]
  verbs: [get, list, watch, create, patch, update, delete]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{/* The dashboard's own name label: its Pods must match neither the operator's Service nor its PodDisruptionBudget. */}}
{{- define "stevedore-operator.dashboardSelectorLabels" -}}
app.kubernetes.io/name: stevedore-dashboard
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "stevedore-operator.dashboardLabels" -}}
{{ include "stevedore-operator.dashboardSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: dashboard
app.kubernetes.io/part-of: stevedore
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "stevedore-operator.dashboardName" -}}
{{- printf "%s-dashboard" (include "stevedore-operator.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "stevedore-operator.dashboardImage" -}}
{{- if .Values.dashboard.image.digest -}}
{{- printf "%s@%s" .Values.dashboard.image.repository .Values.dashboard.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.dashboard.image.repository (default .Chart.AppVersion .Values.dashboard.image.tag) -}}
{{- end -}}
{{- end -}}
