"""Every sentence the command line says, in Japanese and English, by key."""

from __future__ import annotations

# (Japanese, English); {placeholders} are filled by bedboard.console.text.
TEXT: dict[str, tuple[str, str]] = {
    # bedboard alerts
    "start": (
        "アラート処理を開始します（グループ {group}、病床使用率 {threshold:.0%} 以上、"
        "{stale:g}時間報告がなければ未更新）。Ctrl-C で停止します。",
        "deriving alerts (group {group}; occupancy rate at or over {threshold:.0%}; stale after "
        "{stale:g} h without a report); Ctrl-C stops it.",
    ),
    "done": ("アラートの変化 {count}件を送信しました", "published {count} alert change(s)"),
    "threshold": (
        "--threshold は 0 より大きく 1 以下にしてください（例: 0.95）",
        "--threshold must be above 0 and at most 1 (e.g. 0.95)",
    ),
    "broker": (
        "Kafka ブローカーに接続できません（{error}）。`bedboard broker start` で起動していますか？",
        "cannot reach the Kafka broker ({error}); is it running (`bedboard broker start`)?",
    ),
    # bedboard notify
    "notify_start": (
        "通知を開始します（グループ {group}、記録 {store}、SMTP {smtp}）。Ctrl-C で停止します。",
        "sending notifications (group {group}; deliveries in {store}; SMTP {smtp}); "
        "Ctrl-C stops it.",
    ),
    "notify_done": (
        "通知 {count}件を送りました（再送待ち {pending}件）",
        "sent {count} notification(s) ({pending} waiting for a retry)",
    ),
    # bedboard lapses
    "lapses_start": (
        "入院調整の期限処理を開始します（グループ {group}、未回答 {answer:g}分で通知、"
        "仮押さえ {hold:g}分で失効）。Ctrl-C で停止します。",
        "watching placements (group {group}; unanswered after {answer:g} min is flagged, a bed "
        "hold lapses after {hold:g} min); Ctrl-C stops it.",
    ),
    "lapses_done": ("期限切れ {count}件を送信しました", "published {count} lapse(s)"),
    # bedboard rollup, bedboard status
    "seeded": (
        "チェックポイント {name} からレプリカ {path} を開始しました（続きだけを読みます）",
        "replica {path} starts from checkpoint {name} (only the rest of the log is read)",
    ),
    "checkpoint_written": (
        "チェックポイント {path} を書きました（{size:.1f} MB、オフセット {offsets} 件）",
        "wrote checkpoint {path} ({size:.1f} MB, {offsets} offsets)",
    ),
    "checkpoint_uploaded": ("{url} にも置きました", "uploaded to {url} as well"),
    "checkpoint_where": (
        "書き先がありません: --to DIR か BEDBOARD_CHECKPOINT_DIR を指定してください",
        "nowhere to write: give --to DIR or set BEDBOARD_CHECKPOINT_DIR",
    ),
    "checkpoint_failed": (
        "チェックポイントを書けませんでした: {error}",
        "could not write a checkpoint: {error}",
    ),
    "rolling_up": (
        "レプリカ {path} に反映しています。Ctrl-C で停止します。",
        "rolling up into {path}; Ctrl-C stops it",
    ),
    "rolled_up": (
        "{read}件を読み、レプリカ {path} に反映しました",
        "rolled up {read} records into {path}",
    ),
    "replica_unwritable": (
        "レプリカ {path} に書き込めません（{error}）。ディスクの空きを確認してください。"
        "書けなかったバッチはオフセットごと取り消したので、中途半端な内容は残っていません。"
        "空きを作って再実行すると続きから取り込みます。",
        "could not write the replica {path} ({error}); is its disk full? The batch that failed "
        "was undone together with its offsets, so nothing is half-written: free some space and "
        "run again to go on from where it stopped.",
    ),
    "dlq": (
        "却下したレコードを DLQ に書けないため、そのバッチは反映していません。"
        "再実行すると続きから処理します: {error}",
        "rejected records could not be written to the DLQ, so their batch was not applied; "
        "run it again to carry on: {error}",
    ),
    "no_replica": (
        "レプリカ {path} がありません。先に `bedboard rollup` を実行してください",
        "there is no replica at {path}; run `bedboard rollup` first",
    ),
    "header": ("レプリカ {path}", "replica {path}"),
    "columns": (
        "トピック 読込 反映 重複 却下 整合",
        "topic read applied duplicates rejected reconciles",
    ),
    "yes": ("OK", "yes"),
    "no": ("不一致", "NO"),
    "reason": ("  {topic} の却下: {reason} × {count}", "  rejected on {topic}: {count} × {reason}"),
    "rejected_rows": (
        "却下テーブル: {rows}行（DLQ と同じ元レコードの位置で記録）",
        "rejected table: {rows} rows (keyed like the DLQ by the source record's position)",
    ),
    "empty": ("まだ何も読んでいません", "nothing read yet"),
    # bedboard snapshot, bedboard report
    "bad_date": (
        "{option}: 日付は YYYY-MM-DD 形式にしてください（例: 2026-11-26）",
        "{option}: must be a date as YYYY-MM-DD (e.g. 2026-11-26)",
    ),
    "bad_cutoff": (
        "--cutoff: 時刻は HH:MM 形式にしてください（例: 09:00）",
        "--cutoff: must be a time as HH:MM (e.g. 09:00)",
    ),
    "cutoff_without_date": (
        "--cutoff: --date と一緒に指定してください",
        "--cutoff: give it together with --date",
    ),
    "future_known_at": (
        "--known-at: 未来の時刻は指定できません（同じスナップショットを再現できなくなるため）",
        "--known-at: must not be in the future (the snapshot could not be reproduced)",
    ),
    "range_order": (
        "--to: --from より前の日付です",
        "--to: is before --from",
    ),
    "range_too_long": (
        "--to: 期間は{most}日以内にしてください（指定は{days}日）",
        "--to: the range must be at most {most} days (it is {days})",
    ),
    "no_folder": (
        "-o: 出力先のフォルダ {folder} がありません",
        "-o: the folder {folder} does not exist",
    ),
    "cannot_write": ("-o: {path} に書き込めません（{error}）", "-o: cannot write {path} ({error})"),
    "catching_up": ("レプリカ {path} を最新にしています…", "catching up the replica {path}…"),
    "broker_down": (
        "ブローカーに接続できないため、最新の報告を取り込めませんでした（{error}）。"
        "ブローカーが動いているか確認してください。",
        "could not catch up with the broker ({error}); check that it is running.",
    ),
    "written": (
        "{path} に書き出しました（{rows}行、報告{events}件）\n"
        "  基準時刻 as_of   {as_of}\n  確定時刻 known_at {known_at}\n  sha256 {sha256}",
        "wrote {path} ({rows} rows, {events} reports)\n"
        "  as_of    {as_of}\n  known_at {known_at}\n  sha256 {sha256}",
    ),
    "report_written": (
        "{path} に書き出しました（{first} 〜 {last}、毎日 {cutoff} 時点、{rows}行）",
        "wrote {path} ({first} to {last} at {cutoff} each day, {rows} rows)",
    ),
    # bedboard summary
    "summary_written": (
        "{path} に書き出しました（会議用サマリー {since} → {known_at}、待機者数: {source}）\n"
        "  sha256 {sha256}",
        "wrote {path} (meeting summary {since} → {known_at}, waiting from: {source})\n"
        "  sha256 {sha256}",
    ),
    "since_not_before": (
        "--since: {since} は --known-at（{known_at}）より前の時刻にしてください",
        "--since: {since} must be before --known-at ({known_at})",
    ),
    "pdf_failed": (
        "PDF を作成できませんでした（{error}）",
        "could not make the PDF ({error})",
    ),
    # bedboard report --layout, bedboard opendata
    "range_needs": (
        "--from と --to を指定してください（様式どおりの報告は --layout）",
        "give --from and --to (or --layout for a return such as weekly-survey)",
    ),
    "unknown_layout": (
        "--layout: {name} という様式はありません（あるもの: {known}）",
        "--layout: there is no layout {name} (known: {known})",
    ),
    "layout_when": (
        "--layout: --date（様式の締め時刻）か --as-of を指定してください",
        "--layout: give --date (at the layout's cutoff) or --as-of",
    ),
    "severe_unknown": (
        "BEDBOARD_SEVERE_BED_TYPES: {codes} は契約の病床種別コードではありません"
        "（例: adult_icu,hcu）",
        "BEDBOARD_SEVERE_BED_TYPES: {codes} is not a bed type code of the contract "
        "(e.g. adult_icu,hcu)",
    ),
    "return_written": (
        "{path} に書き出しました（{layout}、{rows}行）\n"
        "  基準時刻 as_of   {as_of}\n  確定時刻 known_at {known_at}\n  sha256 {sha256}",
        "wrote {path} ({layout}, {rows} rows)\n"
        "  as_of    {as_of}\n  known_at {known_at}\n  sha256 {sha256}",
    ),
    "return_rejected": (
        "{path}: 問題が{count}件あるため、何も送信していません",
        "{path}: nothing was sent, because of {count} problem(s)",
    ),
    "return_read": (
        "{path} から {events}件を読み戻しました（送信 {sent}件、保留 {queued}件）",
        "read {events} event(s) back from {path} (sent {sent}, queued {queued})",
    ),
    "feed_serving": (
        "オープンデータを {url} で公開しています（サインイン不要）。Ctrl-C で停止します。",
        "serving the open data at {url} (no sign-in); Ctrl-C stops it.",
    ),
    "opendata_written": (
        "{folder} に書き出しました: {names}（基準時刻 {as_of}）",
        "wrote into {folder}: {names} (as of {as_of})",
    ),
    # bedboard facilities, bedboard publish, bedboard simulate
    "no_file": ("ファイルが見つかりません: {path}", "no such file: {path}"),
    "registry_rejected": (
        "{path}: 問題が{count}件あるため、1件も登録していません。"
        "すべて直してから再実行してください。",
        "{path}: nothing was registered because of {count} problem(s); fix them all and run it "
        "again.",
    ),
    "registered": ("{count}施設を登録しました", "registered {count} facilities"),
    "queued": (
        "ブローカーが受け付けなかったため、{count}件をこの端末の送信待ち（{path}）に保存しました。"
        "次に送信するときに、先に送られます（ブローカーは動いていますか？"
        "トピックは `bedboard topics` で作成済みですか？）",
        "the broker did not acknowledge {count} event(s); they are kept in the local outbox "
        "({path}) and go out first with the next submission (is the broker running? were the "
        "topics created with `bedboard topics`?)",
    ),
    "drained": (
        "送信待ちだった{count}件を先に送信しました",
        "sent {count} earlier queued record(s) first",
    ),
    "publish_summary": (
        "送信 {sent}件、保留 {queued}件、却下 {rejected}件",
        "published {sent}, queued {queued}, rejected {rejected}",
    ),
    "bad_number": ("{name} は正の数にしてください", "{name} must be positive"),
    "simulate_start": (
        "{facilities}施設のシミュレーションを開始します（毎秒{rate}件、波の周期{wave}分）。"
        "Ctrl-C で停止します。",
        "simulating {facilities} facilities ({rate} reports a second, a wave every {wave} "
        "minutes); Ctrl-C stops it.",
    ),
    "simulate_summary": (
        "シミュレーション終了: 送信 {sent}件、保留 {queued}件",
        "simulation stopped: sent {sent}, queued {queued}",
    ),
    # bedboard users
    "password_as_argument": (
        "パスワードは引数では渡せません。プロンプトで入力するか、標準入力から渡してください"
        "（例: `bedboard users add NAME --role ROLE < file`）",
        "a password is never given as an argument: type it at the prompt, or pipe it on stdin "
        "(e.g. `bedboard users add NAME --role ROLE < file`)",
    ),
    "give_username": (
        "bedboard users {action}: ユーザー名を指定してください",
        "bedboard users {action}: give a username",
    ),
    "give_role": (
        "bedboard users add: --role を指定してください（{roles}）",
        "bedboard users add: give --role ({roles})",
    ),
    "password_prompt": ("{username} のパスワード: ", "password for {username}: "),
    "password_again": ("もう一度: ", "again: "),
    "passwords_differ": (
        "2回入力したパスワードが違うため、何も変更していません",
        "the two passwords differ; nothing was changed",
    ),
    "user_removed": ("{username} を削除しました", "removed {username}"),
    "user_added": (
        "{username}（{role}{bound}、{how}）を {path} に追加しました",
        "added {username} ({role}{bound}, {how}) to {path}",
    ),
    "user_bound": ("、担当 {facilities}", " for {facilities}"),
    "sign_in_sso": ("シングルサインオン", "single sign-on"),
    "sign_in_password": ("パスワード", "password"),
    "no_accounts": ("{path} にアカウントはありません", "no accounts in {path}"),
    "accounts_columns": (
        "ユーザー名 役割 サインイン 担当施設",
        "username role sign-in facilities",
    ),
    # bedboard broker, bedboard topics
    "broker_stopped": ("停止しました", "stopped"),
    "kafka_credentials": ("Kafka の認証情報: {error}", "Kafka credentials: {error}"),
    "broker_not_running": ("動いていません", "not running"),
    "nodes_stopped": ("ノード {nodes} を停止しました", "stopped node(s) {nodes}"),
    "nodes_columns": (
        "ノード  pid      ポート        役割",
        "node  pid      ports        role",
    ),
    "role_leader": ("コントローラ（リーダー）・ブローカー", "controller leader, broker"),
    "role_follower": ("コントローラ（フォロワー）・ブローカー", "controller follower, broker"),
    "role_broker": ("ブローカー", "broker"),
    "role_stopped": ("停止中", "stopped"),
    "role_unknown": ("不明（クォーラムが応答しません）", "unknown (no quorum answers)"),
    "kafka_unreachable": (
        "Kafka（{servers}）に接続できません: {error}",
        "could not reach Kafka at {servers}: {error}",
    ),
    "topics_created": ("作成しました: {topics}", "created: {topics}"),
    "topics_exist": ("トピックはすべてあります", "all topics exist"),
    # bedboard demo
    "demo_broker": ("ブローカー: {address}", "broker: {address}"),
    "demo_registry_failed": (
        "デモ用の施設台帳を読み込めませんでした",
        "could not load the demo registry",
    ),
    "demo_accounts": ("アカウント:", "accounts:"),
    "demo_account_kept": ("（既存のパスワードのまま）", "(existing password kept)"),
    "demo_accounts_kept": (
        "既存のアカウントはそのままです。新しいパスワードにするには --reset-accounts を付けます。",
        "Existing accounts were kept as they are; --reset-accounts gives them new passwords.",
    ),
    "demo_running": (
        "\nBedboard デモ: http://localhost:{port}  （Ctrl-C で停止）\n",
        "\nBedboard demo: http://localhost:{port}  (Ctrl-C stops it)\n",
    ),
    "demo_child_stopped": (
        "デモのプロセスが停止したため、終了します",
        "a demo process stopped; shutting down",
    ),
    "demo_api_token": (
        "API トークン（{facility} 用、起動のたびに新しく作り、前のデモ用トークンは失効させます）:\n"
        "  {token}\n試す:\n{curl}",
        "API token for {facility} (a new one at every start; earlier demo tokens are revoked):\n"
        "  {token}\ntry it:\n{curl}",
    ),
    "demo_api_running": (
        "API: http://localhost:{port}/docs\n",
        "API: http://localhost:{port}/docs\n",
    ),
    # bedboard api, bedboard tokens, bedboard outbox, bedboard status
    "serving": (
        "Bedboard API: http://{host}:{port}  （説明 http://{host}:{port}/docs、Ctrl-C で停止）",
        "Bedboard API: http://{host}:{port}  (documentation at /docs; Ctrl-C stops it)",
    ),
    "token_added": (
        "トークン {id}（{kind}、名前 {name}、施設 {facilities}）を作りました。"
        "一度しか表示しません。安全に保管してください:\n{text}",
        "token {id} ({kind}, name {name}, facilities {facilities}) created. It is shown only "
        "this once; keep it safe:\n{text}",
    ),
    "token_read": ("閲覧用", "read-only"),
    "token_submit": ("送信用", "submit"),
    "no_tokens": ("トークンはまだありません", "no tokens yet"),
    "token_columns": ("ID 種類 名前 施設 作成 失効", "ID kind name facilities created revoked"),
    "revoked": ("トークン {id}（{name}）を失効させました", "revoked token {id} ({name})"),
    "outbox_empty": ("送信待ちはありません（{path}）", "nothing waits in the outboxes in {path}"),
    "outbox_waiting": (
        "送信待ち: {topic} {count}件（最も古いもの {oldest}）",
        "waiting: {count} on {topic} (oldest {oldest})",
    ),
    "outbox_sent": (
        "{sent}件を送信しました。残り {left}件",
        "sent {sent}; {left} still waiting",
    ),
    "outbox_still": (
        "ブローカーが受け付けなかったため、{left}件はまだ送信待ちです",
        "the broker did not acknowledge, so {left} still wait",
    ),
}
