{{/* The chart's name. */}}
{{- define "hearth.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource's name: <release>-<chart>, or the release alone when it already names the chart. */}}
{{- define "hearth.fullname" -}}
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

{{- define "hearth.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "hearth.labels" -}}
helm.sh/chart: {{ include "hearth.chart" . }}
{{ include "hearth.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels shared by the server's pods and the migrations Job's (the NetworkPolicy selects both). */}}
{{- define "hearth.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hearth.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The server's pods only. */}}
{{- define "hearth.serverSelectorLabels" -}}
{{ include "hearth.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "hearth.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "hearth.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "hearth.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
Every secret setting, one entry each: the file it is mounted as under /etc/hearth/secrets, the
variable naming that file, its value when given inline (kept in the chart's Secret), or the
existing Secret and key holding it. `job` marks what `hearth migrate` needs. Entries with
neither a value nor an existing Secret are left out (the setting stays unset).
*/}}
{{- define "hearth.secretFiles" -}}
{{- $v := .Values }}
{{- $all := list
  (dict "file" "database-url" "env" "HEARTH_DATABASE_URL_FILE" "value" $v.postgresql.url "secret" $v.postgresql.existingSecret "key" $v.postgresql.urlKey "job" true)
  (dict "file" "database-replica-urls" "env" "HEARTH_DATABASE_REPLICA_URLS_FILE" "value" (join "," $v.postgresql.replicaUrls) "secret" $v.postgresql.replicasExistingSecret "key" $v.postgresql.replicasKey "job" false)
  (dict "file" "database-ca.crt" "env" "HEARTH_DATABASE_CA_FILE" "value" $v.postgresql.tls.ca "secret" $v.postgresql.tls.existingSecret "key" $v.postgresql.tls.caKey "job" true)
  (dict "file" "secret-key" "env" "HEARTH_SECRET_KEY_FILE" "value" $v.secretKey.value "secret" $v.secretKey.existingSecret "key" $v.secretKey.key "job" true)
  (dict "file" "secret-key-previous" "env" "HEARTH_SECRET_KEY_PREVIOUS_FILE" "value" $v.secretKey.previous "secret" (ternary $v.secretKey.existingSecret "" (ne $v.secretKey.previousKey "")) "key" $v.secretKey.previousKey "job" true)
  (dict "file" "redis-url" "env" "HEARTH_REDIS_URL_FILE" "value" $v.redis.url "secret" $v.redis.existingSecret "key" $v.redis.urlKey "job" false)
  (dict "file" "admin-password" "env" "HEARTH_ADMIN_PASSWORD_FILE" "value" $v.admin.password "secret" $v.admin.existingSecret "key" $v.admin.passwordKey "job" false)
  (dict "file" "jwt-secret" "env" "HEARTH_JWT_SECRET_FILE" "value" $v.jwtSecret.value "secret" $v.jwtSecret.existingSecret "key" $v.jwtSecret.key "job" false)
  (dict "file" "metrics-token" "env" "HEARTH_METRICS_TOKEN_FILE" "value" $v.metrics.token "secret" $v.metrics.existingSecret "key" $v.metrics.tokenKey "job" false)
}}
{{- if $v.s3.enabled }}
{{- $all = append $all (dict "file" "s3-access-key-id" "env" "HEARTH_S3_ACCESS_KEY_ID_FILE" "value" $v.s3.accessKeyId "secret" $v.s3.existingSecret "key" $v.s3.accessKeyIdKey "job" false) }}
{{- $all = append $all (dict "file" "s3-secret-access-key" "env" "HEARTH_S3_SECRET_ACCESS_KEY_FILE" "value" $v.s3.secretAccessKey "secret" $v.s3.existingSecret "key" $v.s3.secretAccessKeyKey "job" false) }}
{{- end }}
{{- $out := list }}
{{- range $all }}
{{- if .secret }}
{{- $out = append $out (dict "file" .file "env" .env "secret" .secret "key" .key "job" .job) }}
{{- else if .value }}
{{- $out = append $out (dict "file" .file "env" .env "value" .value "job" .job) }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/* Stops the render with the reason when required values are missing or contradict each other. */}}
{{- define "hearth.validate" -}}
{{- $v := .Values }}
{{- if and (not $v.postgresql.url) (not $v.postgresql.existingSecret) }}
{{- fail "postgresql.url or postgresql.existingSecret is required: the image has no PostgreSQL of its own" }}
{{- end }}
{{- if and $v.postgresql.url $v.postgresql.existingSecret }}
{{- fail "set postgresql.url or postgresql.existingSecret, not both" }}
{{- end }}
{{- if and (not $v.secretKey.value) (not $v.secretKey.existingSecret) }}
{{- fail "secretKey.value or secretKey.existingSecret is required (32 bytes, base64 or hex: openssl rand -base64 32). The chart never generates it: a key generated at install would change at the next upgrade and lock every encrypted secret" }}
{{- end }}
{{- if and $v.secretKey.value $v.secretKey.existingSecret }}
{{- fail "set secretKey.value or secretKey.existingSecret, not both" }}
{{- end }}
{{- if and $v.secretKey.previousKey (not $v.secretKey.existingSecret) }}
{{- fail "secretKey.previousKey names a key of secretKey.existingSecret: set that Secret, or give the former keys in secretKey.previous" }}
{{- end }}
{{- if and $v.pdb.enabled (not (kindIs "invalid" $v.pdb.minAvailable)) (not (kindIs "invalid" $v.pdb.maxUnavailable)) }}
{{- fail "pdb: set minAvailable or maxUnavailable, not both (Kubernetes accepts only one)" }}
{{- end }}
{{- if and $v.s3.enabled (not $v.s3.bucket) }}
{{- fail "s3.bucket is required with s3.enabled" }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas is above autoscaling.maxReplicas" }}
{{- end }}
{{- if and $v.s3.enabled (not $v.s3.existingSecret) (ne (empty $v.s3.accessKeyId) (empty $v.s3.secretAccessKey)) }}
{{- fail "s3.accessKeyId and s3.secretAccessKey go together (or neither, for the pod's identity): the server refuses one without the other" }}
{{- end }}
{{- /* Each worker has its own pool of ceil(pool / workers) connections, and a request can hold
       one while it asks for a second: a worker with one connection waits on itself (503 after
       the acquire timeout). */}}
{{- if not (kindIs "invalid" $v.config.workers) }}
{{- $pool := ternary 32 (int $v.config.database_pool_size) (kindIs "invalid" $v.config.database_pool_size) }}
{{- if lt $pool (mul 2 (int $v.config.workers)) }}
{{- fail (printf "config.database_pool_size (%d) is below 2 x config.workers (%d): each worker gets ceil(pool / workers) connections and needs at least 2. Raise the pool or lower the workers" $pool (int $v.config.workers)) }}
{{- end }}
{{- end }}
{{- if $v.pdb.enabled }}
{{- $pods := ternary (int $v.autoscaling.minReplicas) (int $v.replicaCount) $v.autoscaling.enabled }}
{{- $what := ternary "autoscaling.minReplicas" "replicaCount" $v.autoscaling.enabled }}
{{- $min := $v.pdb.minAvailable }}
{{- if and (or (kindIs "float64" $min) (kindIs "int" $min) (kindIs "int64" $min)) (ge (int $min) $pods) }}
{{- fail (printf "pdb.minAvailable (%d) is not below %s (%d): no pod could ever be evicted, which blocks every node drain and cluster upgrade" (int $min) $what $pods) }}
{{- end }}
{{- if and (kindIs "string" $min) (eq $min "100%") }}
{{- fail "pdb.minAvailable of 100% blocks every node drain and cluster upgrade" }}
{{- end }}
{{- $max := $v.pdb.maxUnavailable }}
{{- if and (not (kindIs "invalid" $max)) (or (eq (toString $max) "0") (eq (toString $max) "0%")) }}
{{- fail "pdb.maxUnavailable of 0 blocks every node drain and cluster upgrade: use 1 (the default), or disable the PDB" }}
{{- end }}
{{- end }}
{{- with $v.networkPolicy }}
{{- if and .enabled (not .postgresCIDRs) (not .extraEgress) (not (and .postgresPublic .allowEgressPublic)) }}
{{- fail "networkPolicy.enabled without a way to PostgreSQL: list its addresses in networkPolicy.postgresCIDRs, describe the peers in networkPolicy.extraEgress (an in-cluster database), or set networkPolicy.postgresPublic (with allowEgressPublic) when it has a public address" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The Secret's data for the entries given inline (all, or only the Job's). */}}
{{- define "hearth.secretData" -}}
{{- $onlyJob := .onlyJob }}
{{- range (include "hearth.secretFiles" .root | fromYamlArray) }}
{{- if and (hasKey . "value") (or (not $onlyJob) .job) }}
{{ .file }}: {{ .value | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* The projected volume of every secret file (all, or only the Job's). */}}
{{- define "hearth.secretVolume" -}}
{{- $onlyJob := .onlyJob }}
{{- $own := .secretName }}
- name: secrets
  projected:
    # Owner and group (fsGroup) may read: 0440.
    defaultMode: 288
    sources:
{{- range (include "hearth.secretFiles" .root | fromYamlArray) }}
{{- if or (not $onlyJob) .job }}
      - secret:
          name: {{ ternary .secret $own (hasKey . "secret") }}
          items:
            - key: {{ ternary .key .file (hasKey . "secret") }}
              path: {{ .file }}
{{- end }}
{{- end }}
{{- end }}

{{/* The variables naming each secret file (all, or only the Job's). */}}
{{- define "hearth.secretEnv" -}}
{{- $onlyJob := .onlyJob }}
{{- range (include "hearth.secretFiles" .root | fromYamlArray) }}
{{- if or (not $onlyJob) .job }}
- name: {{ .env }}
  value: /etc/hearth/secrets/{{ .file }}
{{- end }}
{{- end }}
{{- end }}

{{/*
A value as the server's parsers read it. Helm reads the numbers of a values file as float64,
which toString writes as 1.048576e+06 for a million or more: whole numbers are written as
integers.
*/}}
{{- define "hearth.string" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{/* Non-secret settings of the ConfigMap, as HEARTH_* keys with string values. */}}
{{- define "hearth.configData" -}}
HEARTH_HOST: {{ .Values.host | quote }}
HEARTH_PORT: {{ include "hearth.string" .Values.containerPort | quote }}
HEARTH_DATA_DIR: "/var/lib/hearth"
{{- range $key, $value := .Values.config }}
{{- if and (not (kindIs "invalid" $value)) (ne $key "trust_proxy") }}
HEARTH_{{ upper $key }}: {{ include "hearth.string" $value | quote }}
{{- end }}
{{- end }}
{{- /* Believed only behind exactly one proxy that appends X-Forwarded-For: by default, the Ingress. */}}
HEARTH_TRUST_PROXY: {{ ternary .Values.ingress.enabled .Values.config.trust_proxy (kindIs "invalid" .Values.config.trust_proxy) | toString | quote }}
{{- if and (kindIs "invalid" .Values.config.public_url) .Values.ingress.enabled .Values.ingress.hosts }}
{{- /* Links and Locations on the Ingress's first host, unless config.public_url says otherwise. */}}
HEARTH_PUBLIC_URL: {{ printf "%s://%s" (ternary "https" "http" (gt (len .Values.ingress.tls) 0)) (index .Values.ingress.hosts 0).host | quote }}
{{- end }}
{{- with .Values.admin.email }}
HEARTH_ADMIN_EMAIL: {{ . | quote }}
{{- end }}
{{- if .Values.s3.enabled }}
HEARTH_FILES_STORAGE: "s3"
HEARTH_S3_BUCKET: {{ .Values.s3.bucket | quote }}
HEARTH_S3_REGION: {{ .Values.s3.region | quote }}
HEARTH_S3_FORCE_PATH_STYLE: {{ .Values.s3.forcePathStyle | toString | quote }}
{{- with .Values.s3.prefix }}
HEARTH_S3_PREFIX: {{ . | quote }}
{{- end }}
{{- with .Values.s3.endpoint }}
HEARTH_S3_ENDPOINT: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Volumes shared by the server's pods and the Job's: the data folder and /tmp. */}}
{{- define "hearth.dataVolumes" -}}
- name: data
  emptyDir:
    sizeLimit: {{ .Values.dataVolume.sizeLimit }}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}

{{- define "hearth.volumeMounts" -}}
- name: data
  mountPath: /var/lib/hearth
- name: tmp
  mountPath: /tmp
- name: secrets
  mountPath: /etc/hearth/secrets
  readOnly: true
{{- end }}
