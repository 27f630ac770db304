{{- define "oomlens.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "oomlens.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "oomlens.selectorLabels" -}}
app.kubernetes.io/name: {{ include "oomlens.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "oomlens.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "oomlens.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "oomlens.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "oomlens.secretName" -}}
{{- default (printf "%s-secrets" (include "oomlens.fullname" .)) .Values.secret.existingSecret -}}
{{- end -}}

{{- define "oomlens.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "oomlens.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The port the probes and /metrics answer on: the HTTP server, or Socket Mode's health port. */}}
{{- define "oomlens.probePort" -}}
{{- if eq .Values.mode "socket" -}}health{{- else -}}http{{- end -}}
{{- end -}}

{{- define "oomlens.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "oomlens.fullname" . }}
  - secretRef:
      name: {{ include "oomlens.secretName" . }}
{{- with .Values.extraEnv }}
env:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
