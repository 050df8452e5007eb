{{/*
Names, labels, images, the connection environment and the Deployment shared by the server and
the worker pools.
*/}}

{{/* The chart's name. */}}
{{- define "baton.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The release's full name, the prefix of every resource's name. */}}
{{- define "baton.fullname" -}}
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

{{/* The namespace of every resource. */}}
{{- define "baton.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{/* The server's Deployment, Service and PodDisruptionBudget name. */}}
{{- define "baton.serverName" -}}
{{- printf "%s-server" (include "baton.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* A worker pool's resource name; dict: ctx, pool (the pool's name). */}}
{{- define "baton.poolName" -}}
{{- $name := printf "%s-worker-%s" (include "baton.fullname" .ctx) .pool -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "workerPools: %q makes the name %q, longer than 63 characters; shorten the pool's name or fullnameOverride" .pool $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{/* The ServiceAccount of the pods. */}}
{{- define "baton.serviceAccountName" -}}
{{- if .Values.serviceAccount.enabled -}}
{{- default (include "baton.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Selector labels; dict: ctx, component (server or worker), pool (optional). */}}
{{- define "baton.selectorLabels" -}}
app.kubernetes.io/name: {{ include "baton.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- with .pool }}
baton/worker-pool: {{ . }}
{{- end }}
{{- end -}}

{{/* Every resource's labels; dict as for baton.selectorLabels. */}}
{{- define "baton.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "baton.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: baton
{{- with .ctx.Values.global.labels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An image reference; dict: ctx, image (overrides of the top-level image). */}}
{{- define "baton.image" -}}
{{- $img := mergeOverwrite (deepCopy .ctx.Values.image) (deepCopy (.image | default dict)) -}}
{{- $ref := $img.repository -}}
{{- with .ctx.Values.global.image.registry -}}
{{- $ref = printf "%s/%s" (trimSuffix "/" .) $ref -}}
{{- end -}}
{{- $tag := $img.tag | default .ctx.Chart.AppVersion -}}
{{- if $tag -}}
{{- $ref = printf "%s:%s" $ref $tag -}}
{{- end -}}
{{- with $img.digest -}}
{{- $ref = printf "%s@%s" $ref . -}}
{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* An image's pull policy; dict as for baton.image. */}}
{{- define "baton.imagePullPolicy" -}}
{{- $img := .image | default dict -}}
{{- $img.pullPolicy | default .ctx.Values.image.pullPolicy | default .ctx.Values.global.image.pullPolicy -}}
{{- end -}}

{{/*
The task type's consumer name as Baton names it (queue.EncodeToken): every byte other than
a-z, A-Z, 0-9, - and _ becomes ~ and two upper-case hex digits, and the empty type is "~".
The type's bytes are walked as the hex digits printf "%X" gives, so multi-byte UTF-8 is encoded
byte by byte as Baton does.
*/}}
{{- define "baton.encodeToken" -}}
{{- if eq . "" -}}
~
{{- else -}}
{{- $keep := dict -}}
{{- range $c := splitList "" "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_" -}}
{{- $_ := set $keep (printf "%X" $c) $c -}}
{{- end -}}
{{- $hex := printf "%X" . -}}
{{- range $i := until (div (len $hex) 2 | int) -}}
{{- $h := substr (mul $i 2 | int) (add (mul $i 2) 2 | int) $hex -}}
{{- if hasKey $keep $h -}}{{ get $keep $h }}{{- else -}}~{{ $h }}{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* An env entry from a Secret when ref.secretName is set; dict: name, ref. */}}
{{- define "baton.secretEnv" -}}
{{- if .ref.secretName }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ .ref.secretName | quote }}
      key: {{ required (printf "%s: the secret reference needs a key" .name) .ref.key | quote }}
{{- end }}
{{- end -}}

{{/* TLS file variables for a mounted Secret; dict: prefix (BATON_NATS or BATON_REDIS), dir, tls. */}}
{{- define "baton.tlsEnv" -}}
{{- if .tls.secretName }}
{{- with .tls.ca }}
- name: {{ $.prefix }}_CA
  value: {{ printf "%s/%s" $.dir . | quote }}
{{- end }}
{{- with .tls.cert }}
- name: {{ $.prefix }}_CERT
  value: {{ printf "%s/%s" $.dir . | quote }}
{{- end }}
{{- with .tls.key }}
- name: {{ $.prefix }}_KEY
  value: {{ printf "%s/%s" $.dir . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* BATON_REDIS_URL and the mode's variables. */}}
{{- define "baton.redisEnv" -}}
{{- $r := .Values.redis -}}
{{- if eq $r.mode "single" }}
- name: BATON_REDIS_URL
  value: {{ required "redis.url is required with redis.mode single" $r.url | quote }}
{{- else if eq $r.mode "sentinel" }}
{{- if not $r.sentinel.urls }}
{{- fail "redis.sentinel.urls: list the sentinels' URLs for redis.mode sentinel" }}
{{- end }}
- name: BATON_REDIS_URL
  value: {{ join "," $r.sentinel.urls | quote }}
- name: BATON_REDIS_MASTER
  value: {{ required "redis.sentinel.masterName is required with redis.mode sentinel" $r.sentinel.masterName | quote }}
{{- else if eq $r.mode "cluster" }}
{{- if not $r.cluster.urls }}
{{- fail "redis.cluster.urls: list the cluster's seed URLs for redis.mode cluster" }}
{{- end }}
- name: BATON_REDIS_URL
  value: {{ join "," $r.cluster.urls | quote }}
- name: BATON_REDIS_CLUSTER
  value: "true"
{{- else }}
{{- fail (printf "redis.mode %q: want single, sentinel or cluster" $r.mode) }}
{{- end }}
{{- end -}}

{{/* The environment every Baton container gets: NATS, Redis, prefix, tracing, extraEnv. */}}
{{- define "baton.env" -}}
{{- $n := .Values.nats -}}
{{- $r := .Values.redis -}}
- name: BATON_NATS_URL
  value: {{ required "nats.url is required" $n.url | quote }}
{{- with $n.user }}
- name: BATON_NATS_USER
  value: {{ . | quote }}
{{- end }}
{{- include "baton.secretEnv" (dict "name" "BATON_NATS_PASSWORD" "ref" $n.password) }}
{{- include "baton.secretEnv" (dict "name" "BATON_NATS_TOKEN" "ref" $n.token) }}
{{- if $n.creds.secretName }}
- name: BATON_NATS_CREDS
  value: {{ printf "/etc/baton/nats-creds/%s" (required "nats.creds.key is required" $n.creds.key) | quote }}
{{- end }}
{{- if $n.nkey.secretName }}
- name: BATON_NATS_NKEY
  value: {{ printf "/etc/baton/nats-nkey/%s" (required "nats.nkey.key is required" $n.nkey.key) | quote }}
{{- end }}
{{- include "baton.tlsEnv" (dict "prefix" "BATON_NATS" "dir" "/etc/baton/nats-tls" "tls" $n.tls) }}
{{- if gt (int $n.streamReplicas) 0 }}
- name: BATON_NATS_REPLICAS
  value: {{ $n.streamReplicas | toString | quote }}
{{- end }}
{{- include "baton.redisEnv" . }}
{{- with $r.user }}
- name: BATON_REDIS_USER
  value: {{ . | quote }}
{{- end }}
{{- include "baton.secretEnv" (dict "name" "BATON_REDIS_PASSWORD" "ref" $r.password) }}
{{- include "baton.tlsEnv" (dict "prefix" "BATON_REDIS" "dir" "/etc/baton/redis-tls" "tls" $r.tls) }}
{{- if gt (int $r.wait.replicas) 0 }}
- name: BATON_REDIS_WAIT_REPLICAS
  value: {{ $r.wait.replicas | toString | quote }}
{{- end }}
{{- if $r.wait.aof }}
- name: BATON_REDIS_WAIT_AOF
  value: "true"
{{- end }}
{{- with $r.wait.timeout }}
- name: BATON_REDIS_WAIT_TIMEOUT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.prefix }}
- name: BATON_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- with .Values.externalTypes }}
- name: BATON_EXTERNAL_TYPES
  value: {{ join "," . | quote }}
{{- end }}
{{- with .Values.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The volumes every Baton pod gets: /tmp (the root filesystem is read-only) and the Secrets. */}}
{{- define "baton.volumes" -}}
- name: tmp
  emptyDir: {}
{{- range $v := list (list "nats-creds" .Values.nats.creds.secretName) (list "nats-nkey" .Values.nats.nkey.secretName) (list "nats-tls" .Values.nats.tls.secretName) (list "redis-tls" .Values.redis.tls.secretName) }}
{{- if index $v 1 }}
- name: {{ index $v 0 }}
  secret:
    secretName: {{ index $v 1 | quote }}
    defaultMode: 0440
{{- end }}
{{- end }}
{{- end -}}

{{/* The mounts of baton.volumes. */}}
{{- define "baton.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- range $v := list (list "nats-creds" .Values.nats.creds.secretName) (list "nats-nkey" .Values.nats.nkey.secretName) (list "nats-tls" .Values.nats.tls.secretName) (list "redis-tls" .Values.redis.tls.secretName) }}
{{- if index $v 1 }}
- name: {{ index $v 0 }}
  mountPath: /etc/baton/{{ index $v 0 }}
  readOnly: true
{{- end }}
{{- end }}
{{- end -}}

{{/*
terminationGracePeriodSeconds: the given value, or grace + 15. It must exceed the shutdown grace
plus the 5 s that open HTTP requests get after it. dict: what, grace, value.
*/}}
{{- define "baton.terminationGrace" -}}
{{- $grace := int .grace -}}
{{- if kindIs "invalid" .value -}}
{{- add $grace 15 -}}
{{- else if le (int .value) (add $grace 5 | int) -}}
{{- fail (printf "%s.terminationGracePeriodSeconds %v must exceed shutdownGraceSeconds %d + 5 s for open HTTP requests" .what .value $grace) -}}
{{- else -}}
{{- int .value -}}
{{- end -}}
{{- end -}}

{{/* A worker pool with workerPoolDefaults under it, as YAML; dict: ctx, pool. */}}
{{- define "baton.pool" -}}
{{- $p := deepCopy .ctx.Values.workerPoolDefaults -}}
{{- range $k, $v := .pool -}}
{{- if and (kindIs "map" $v) (kindIs "map" (get $p $k)) -}}
{{- $d := get $p $k -}}
{{- range $k2, $v2 := $v -}}
{{- $_ := set $d $k2 $v2 -}}
{{- end -}}
{{- else -}}
{{- $_ := set $p $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $p -}}
{{- end -}}

{{/* The worker pools with their defaults, as YAML {pools: [...]}, checked. */}}
{{- define "baton.pools" -}}
{{- $pools := list -}}
{{- $seen := dict -}}
{{- range $i, $raw := .Values.workerPools -}}
{{- $name := $raw.name | default "" | toString -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$" $name) -}}
{{- fail (printf "workerPools[%d].name %q: want a DNS label (a-z, 0-9 and -)" $i $name) -}}
{{- end -}}
{{- if hasKey $seen $name -}}
{{- fail (printf "workerPools: two pools are named %q" $name) -}}
{{- end -}}
{{- $_ := set $seen $name true -}}
{{- $defaults := $.Values.workerPoolDefaults -}}
{{- range $k, $v := $raw -}}
{{- if and (ne $k "name") (not (hasKey $defaults $k)) -}}
{{- fail (printf "workerPools %q: unknown key %q; a pool has name and the keys of workerPoolDefaults" $name $k) -}}
{{- end -}}
{{- $d := get $defaults $k -}}
{{- if and (kindIs "map" $v) (kindIs "map" $d) $d -}}
{{- range $k2, $_ := $v -}}
{{- if not (hasKey $d $k2) -}}
{{- fail (printf "workerPools %q: unknown key %s.%s; see workerPoolDefaults.%s" $name $k $k2 $k) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- $p := include "baton.pool" (dict "ctx" $ "pool" $raw) | fromYaml -}}
{{- if and $p.keda.enabled (not $p.taskTypes) -}}
{{- fail (printf "workerPools %q: keda needs taskTypes, whose consumers it scales on" $name) -}}
{{- end -}}
{{- /* The baton image's entrypoint is the baton command: a pool of it must say worker first, or
     it would run `baton --types=...` and exit at once, for ever. */ -}}
{{- $image := $p.container.image | default dict -}}
{{- $first := "" -}}
{{- if $p.args }}{{ $first = index $p.args 0 | toString }}{{ end -}}
{{- if and (not $image.repository) (not $p.command) (ne $first "worker") -}}
{{- fail (printf "workerPools %q runs the baton image: give args: [worker, --examples, ...], or container.image of your worker program" $name) -}}
{{- end -}}
{{- $pools = append $pools $p -}}
{{- end -}}
{{- toYaml (dict "pools" $pools) -}}
{{- end -}}

{{/* A PodDisruptionBudget; dict: ctx, name, component, pool, pdb (minAvailable or maxUnavailable). */}}
{{- define "baton.pdbYAML" -}}
{{- $labels := dict "ctx" .ctx "component" .component "pool" .pool -}}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ .name }}
  namespace: {{ include "baton.namespace" .ctx }}
  labels:
    {{- include "baton.labels" $labels | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .pdb.minAvailable) }}
  minAvailable: {{ .pdb.minAvailable }}
  {{- else if not (kindIs "invalid" .pdb.maxUnavailable) }}
  maxUnavailable: {{ .pdb.maxUnavailable }}
  {{- else }}
  maxUnavailable: 1
  {{- end }}
  selector:
    matchLabels:
      {{- include "baton.selectorLabels" $labels | nindent 6 }}
{{- end -}}

{{/* Parses YAML that a template rendered, failing on a syntax error; dict: what, yaml. */}}
{{- define "baton.parse" -}}
{{- $obj := fromYaml .yaml -}}
{{- if hasKey $obj "Error" -}}
{{- fail (printf "%s: %s" .what (get $obj "Error")) -}}
{{- end -}}
{{- toYaml $obj -}}
{{- end -}}

{{/* A resource rendered by a template with a merge map over it; dict: what, yaml, merge. */}}
{{- define "baton.render" -}}
{{- $obj := include "baton.parse" . | fromYaml -}}
{{- toYaml (mergeOverwrite $obj (deepCopy (.merge | default dict))) -}}
{{- end -}}

{{/*
A Deployment of Baton processes; dict:
  ctx, what (the values' path, for errors), name, component, pool (empty for the server),
  replicas (null under an autoscaler), grace, terminationGracePeriodSeconds,
  command, args, port, livenessProbe, readinessProbe, container, podTemplate,
  serviceAccountName, apiToken (the server's secret reference, or null).
The container's merge and then the pod template's merge go over the rendered Deployment.
*/}}
{{- define "baton.deployment" -}}
{{- $c := .container -}}
{{- $pt := .podTemplate -}}
{{- $yaml := include "baton.deploymentYAML" . -}}
{{- $dep := include "baton.parse" (dict "what" .what "yaml" $yaml) | fromYaml -}}
{{- $container := index $dep.spec.template.spec.containers 0 -}}
{{- $_ := mergeOverwrite $container (deepCopy ($c.merge | default dict)) -}}
{{- $_ = mergeOverwrite $dep.spec.template (deepCopy ($pt.merge | default dict)) -}}
{{- toYaml $dep -}}
{{- end -}}

{{/* The YAML of baton.deployment before the merges. */}}
{{- define "baton.deploymentYAML" -}}
{{- $ctx := .ctx -}}
{{- $c := .container -}}
{{- $pt := .podTemplate -}}
{{- $labels := dict "ctx" $ctx "component" .component "pool" .pool -}}
{{- $image := dict "ctx" $ctx "image" $c.image -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  namespace: {{ include "baton.namespace" $ctx }}
  labels:
    {{- include "baton.labels" $labels | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ int .replicas }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "baton.selectorLabels" $labels | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "baton.labels" $labels | nindent 8 }}
        {{- with $pt.labels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $pt.annotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      {{- with .serviceAccountName }}
      serviceAccountName: {{ . }}
      {{- end }}
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: {{ include "baton.terminationGrace" (dict "what" .what "grace" .grace "value" .terminationGracePeriodSeconds) }}
      {{- with $pt.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $ctx.Values.global.image.pullSecretNames }}
      imagePullSecrets:
        {{- range . }}
        - name: {{ . }}
        {{- end }}
      {{- end }}
      {{- with $pt.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $pt.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $pt.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $pt.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $pt.topologySpreadConstraints }}
      topologySpreadConstraints:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "baton.image" $image | quote }}
          imagePullPolicy: {{ include "baton.imagePullPolicy" $image }}
          {{- with .command }}
          command:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with .args }}
          args:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: http
              containerPort: {{ int .port }}
              protocol: TCP
          env:
            {{- include "baton.env" $ctx | nindent 12 }}
            {{- with .apiToken }}
            {{- include "baton.secretEnv" (dict "name" "BATON_API_TOKEN" "ref" .) | nindent 12 }}
            {{- end }}
            {{- with $c.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          livenessProbe:
            {{- toYaml (mergeOverwrite (dict "httpGet" (dict "path" "/healthz" "port" "http")) (deepCopy (.livenessProbe | default dict))) | nindent 12 }}
          readinessProbe:
            {{- toYaml (mergeOverwrite (dict "httpGet" (dict "path" "/readyz" "port" "http")) (deepCopy (.readinessProbe | default dict))) | nindent 12 }}
          {{- with $c.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          {{- with $c.securityContext }}
          securityContext:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          volumeMounts:
            {{- include "baton.volumeMounts" $ctx | nindent 12 }}
            {{- with $c.volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        {{- include "baton.volumes" $ctx | nindent 8 }}
        {{- with $pt.volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}
