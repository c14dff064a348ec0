{{/* The chart's name. */}}
{{- define "stoppunkt.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name: resource names start with it. */}}
{{- define "stoppunkt.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "stoppunkt.selectorLabels" -}}
app.kubernetes.io/name: {{ include "stoppunkt.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "stoppunkt.labels" -}}
{{ include "stoppunkt.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The Secret holding the access code. */}}
{{- define "stoppunkt.secretName" -}}
{{- default (include "stoppunkt.fullname" .) .Values.accessCode.existingSecret }}
{{- end }}

{{/* NATS URLs: the bundled cluster's Service (the client learns the other
nodes from it), or natsURL. The name follows the NATS chart's own rule. */}}
{{- define "stoppunkt.natsURL" -}}
{{- if .Values.natsURL }}
{{- .Values.natsURL }}
{{- else if .Values.nats.enabled }}
{{- $nats := "" }}
{{- if .Values.nats.fullnameOverride }}
{{- $nats = .Values.nats.fullnameOverride }}
{{- else if contains "nats" .Release.Name }}
{{- $nats = .Release.Name }}
{{- else }}
{{- $nats = printf "%s-nats" .Release.Name }}
{{- end }}
{{- printf "nats://%s:4222" ($nats | trunc 63 | trimSuffix "-") }}
{{- else }}
{{- required "set natsURL, or nats.enabled=true" .Values.natsURL }}
{{- end }}
{{- end }}
