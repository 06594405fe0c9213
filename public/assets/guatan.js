// Guatan's pages share this: words in Chinese and English, the API client, sign-in, and
// the plain-words explanation of every error a user can meet. Only the documented API is used.
"use strict";

const Guatan = (() => {
  const WORDS = {
    zh: {
      brand: "瓜摊 · 兰州应季瓜果摊点", nav_map: "摊点地图", nav_track: "查询进度", nav_vendor: "摊主打卡", nav_officer: "执法", nav_admin: "管理",
      lang: "English", loading: "正在加载…", retry: "重试", none: "暂无", close: "关闭", submit: "提交", cancel: "取消", back: "返回",
      status_open: "营业中", status_assigned: "有证未出摊", status_vacant: "空闲", status_closed_for_day: "已收摊",
      sign_in: "登录", sign_out: "退出登录", username: "用户名", password: "密码", signed_in_as: "已登录：{name}",
      wrong_role: "这个账号不能使用本页面（{role}）。请用对应的账号登录。",
      // errors in words a vendor or citizen understands
      err_network: "网络不通，请检查网络后再试。",
      err_UNAUTHENTICATED: "登录已失效，请重新登录。",
      err_login: "用户名或密码不对，请再试一次。",
      err_FORBIDDEN: "您没有权限做这件事。",
      err_NOT_FOUND: "没有找到。请检查编号是否正确。",
      err_CONFLICT: "状态已经变了，不能再这样操作。请刷新后再看。",
      err_TOO_LARGE: "文件太大了（每张照片不超过 5 MB）。",
      err_UNSUPPORTED_MEDIA_TYPE: "照片格式不对，请用手机拍的 JPG、PNG 或 WebP 照片。",
      err_RATE_LIMITED: "操作太频繁了，请 {wait} 后再试。",
      err_UNAVAILABLE: "系统暂时无法保存，请过一会儿再试。您的内容没有丢失，可以再点一次。",
      err_VALIDATION_FAILED: "填写有误：{message}",
      err_other: "出错了：{message}",
      err_NO_PERMIT: "您本季没有摊位许可证，不能打卡。请先申请许可证。",
      err_PERMIT_NOT_ACTIVE: "您的许可证现在不在有效状态（可能被暂停、吊销或已过期），请联系所在区的执法中队。",
      err_OUT_OF_SEASON: "今天不在经营季内，经营季是 {from} 到 {to}。",
      err_OUT_OF_SEASON_plain: "今天不在经营季内。",
      err_OUTSIDE_HOURS: "现在不在营业时间。营业时间是 {opens}–{closes}，请在这个时间内打卡。",
      err_OUTSIDE_HOURS_plain: "现在不在营业时间，请在营业时间内打卡。",
      err_POINTS_EXHAUSTED: "本月记分已经扣完，这个月不能出摊。下个月 1 日起可以重新打卡。",
      err_POOR_ACCURACY: "手机定位不够准，请到开阔的地方等一会儿再点打卡。",
      err_TOO_FAR: "您离自己的摊位还有 {distance} 米，要在 {allowed} 米以内才能打卡。请到摊位上再点打卡。",
      err_TOO_FAR_plain: "您离自己的摊位太远了，请到摊位上再点打卡。",
      geo_denied: "拿不到您的位置：请允许浏览器使用定位，然后再试。",
      geo_unavailable: "手机暂时定不到位置，请到开阔处再试。",
      geo_unsupported: "这个浏览器不能定位。",
      seconds: "{n} 秒", minutes: "{n} 分钟",
      // citizen
      map_title: "兰州应季瓜果摊点", search_placeholder: "搜索摊点名、地址、品种（如 白兰瓜）", all_districts: "全部城区",
      near_me: "我附近的摊位", view_map: "地图", view_list: "列表", sites_found: "共 {n} 个摊点",
      slots_summary: "{open} 个营业 · {assigned} 个有证 · 共 {total} 个摊位", open_stall: "查看摊位", nearby_title: "离您最近的摊位",
      meters: "{n} 米", no_sites: "没有找到符合条件的摊点。", map_plain_note: "未配置底图：按经纬度示意位置",
      hours: "营业时间", site_slots: "摊位", zoom_in: "放大", zoom_out: "缩小", zoom_all: "全部", report_here: "举报问题",
      legend_open: "有摊位营业", legend_assigned: "有证未出摊", legend_vacant: "空闲", legend_hotspot: "举报集中",
      // track
      track_title: "查询举报进度", tracking_code: "查询码", track_button: "查询", status: "状态", category: "类别",
      reported_at: "举报时间", due_at: "处理时限", timeline: "办理过程", rate_title: "评价处理结果", score: "满意度",
      comment: "评价（可不填）", rated: "您的评价：{score} 分", reopen_title: "问题没有解决？重新提交", reopen_note: "还有什么问题",
      reopen_done: "已重新派遣处理。", rating_done: "谢谢您的评价。",
      rs_submitted: "已提交", rs_accepted: "已立案", rs_rejected: "不予立案", rs_dispatched: "已派遣处理", rs_handled: "已处置",
      rs_verified: "已核查", rs_closed: "已结案", rs_duplicate: "重复举报",
      role_citizen: "市民", role_officer: "执法人员", role_admin: "管理员", role_system: "系统",
      role_call_taker: "热线受理员", rs_sent_back: "已退单", act_send_back: "退单", escalated: "已超时督办", channel: "渠道",
      ch_web: "网页/扫码", ch_open311: "Open311", ch_hotline: "热线", ch_walk_in: "来访", ch_officer: "巡查发现",
      send_back_reason: "退单原因", sb_not_ours: "不属本队职责", sb_wrong_district: "不属本区", sb_duplicate: "重复案件",
      sent_back_waiting: "已退回市城管委，等待重新派遣。", reply_templates: "常用回复", ask_extension: "申请延期", new_due_at: "新的处置时限",
      extension_asked: "已申请延期至 {time}，等待市城管委批复。", notify_sms: "有进展时短信告诉我（需留手机号）",
      voice_note: "语音留言", voice_seconds: "{n} 秒", voice_kept: "{n} 秒，只有执法人员能听到", voice_download: "浏览器不能直接播放这种格式（AMR），请下载后用手机播放：",
      voice_loading: "正在载入语音…", record_voice: "🎤 录一段语音（最长 60 秒）", stop_recording: "■ 录好了", delete_voice: "删除语音",
      recording: "正在录音… {n} 秒", voice_ready: "已录好 {n} 秒语音，会和举报一起提交。", mic_denied: "不能使用麦克风（{message}）；也可以在上面选一个录音文件。",
      err_voice_TOO_LARGE: "语音太长或太大了（最长 60 秒、1 MB）。", err_voice_UNSUPPORTED_MEDIA_TYPE: "这个文件不是我们能收的录音：请用 AMR、MP3、M4A、Ogg 或 WebM 录音。",
      // vendor
      vendor_title: "摊主出摊打卡", my_permit: "我的许可证", permit_no: "许可证号", stall: "摊位", valid: "有效期", produce: "品种",
      points_left: "本月剩余记分", points_of: "共 {n} 分", deductions: "扣分记录", checkin_button: "出摊打卡", checkout_button: "收摊",
      locating: "正在定位…", checked_in_at: "已打卡：{time}，离摊位 {distance} 米。祝生意兴隆！",
      checked_in_already: "今天已经打过卡了（{time}）。", checked_out_at: "已收摊：{time}。", today_not_yet: "今天还没有打卡。",
      history: "打卡记录", no_permit_yet: "您还没有有效的许可证。", permit_status: "状态",
      ps_requested: "已申请", ps_reviewed: "已初审", ps_approved: "已复审", ps_issued: "有效", ps_suspended: "已暂停",
      ps_revoked: "已吊销", ps_rejected: "未通过", ps_expired: "已过期",
      // officer
      officer_title: "执法工作台", tab_queue: "待办案件", tab_cases: "案件", tab_inspect: "现场检查", tab_coverage: "巡查覆盖",
      overdue: "已超时", due: "时限 {time}", queue_empty: "没有待办案件。", case_title: "案件 {id}", contact: "举报人电话",
      public_note: "对市民说明（公开）", internal_note: "内部备注（不公开）", duplicate_of: "重复于案件号",
      act_accept: "立案", act_reject: "不予立案", act_dispatch: "派遣", act_handle: "已处置", act_verify: "核查通过",
      act_redispatch: "核查未通过，重新派遣", act_close: "结案", act_mark_duplicate: "标为重复",
      action_done: "已办理：{status}", no_actions: "当前状态下没有可办理的操作。", inspect_this: "对这个摊位做现场检查",
      slot_id: "摊位编号", result: "检查结果", res_compliant: "合规", res_warning: "警告", res_violation: "违规", violations: "违规项",
      note: "检查记录", photos: "照片（最多 3 张）", resolves: "同时处置的案件", use_position: "附上我的位置",
      inspected: "检查已记录。", deducted: "扣 {points} 分，剩余 {balance} 分。", coverage_days: "超过几天未检查",
      not_inspected: "以下摊点 {days} 天内没有检查记录：", status_filter: "案件状态",
      v_outside_boundary: "超出摊位范围经营（3 分）", v_not_own_produce: "非自产瓜果（6 分）", v_hygiene: "卫生不达标（2 分）",
      v_short_weight: "缺斤短两（6 分）", v_permit_not_shown: "未亮证经营（1 分）", v_person_permit_slot_mismatch: "人证位不符（12 分）",
      v_not_cleaned_up: "收摊未清理（2 分）",
      // admin
      admin_title: "管理驾驶舱", tab_overview: "季度概览", tab_permits: "许可证", tab_feedback: "督办与推送", fb_scorecards: "考核（{from} 至 {to}）", fb_in_time: "按期处置", fb_late: "超期处置", fb_received: "受理",
      fb_on_time: "按期处置率", fb_rework: "返工率", fb_reopen: "重新打开", fb_satisfaction: "满意度", fb_avg: "平均处置时长", fb_p90: "90% 处置时长", fb_escalations: "超时督办", fb_extensions: "延期申请", fb_sent_back: "退单待派", fb_until: "申请延至 {time}",
      fb_approve: "同意延期", fb_refuse: "不同意", fb_approved: "{id} 已同意延期", fb_refused: "{id} 未同意延期", fb_redispatched: "{id} 已重新派遣", fb_rejected: "{id} 已不予立案",
      fb_webhooks: "推送（城市运行管理服务平台等）", fb_register: "登记接收地址", fb_hook_name: "名称", fb_secret: "已登记。签名密钥（只显示这一次，请交给对方保存）：{secret}",
      fb_paused: "已暂停", fb_failing: "推送失败", fb_ok: "正常", fb_delivered: "已推送 {n} 条", fb_last_error: "最近错误：{error}", fb_next: "下次重试 {time}",
      fb_pause: "暂停", fb_resume: "恢复", fb_dead: "放弃推送的事件", tab_idle: "闲置摊位", idle_min_days: "连续未出摊天数至少", idle_days: "{n} 天未出摊", idle_last: "最后打卡 {date}", idle_never: "从未打卡",
      idle_explain: "先警告摊主（他在摊主页面能看到），期满仍未出摊的，收回摊位并依候补名单递补。", idle_warn: "警告", idle_warn_again: "再次警告", idle_reclaim: "收回摊位",
      idle_reclaim_on: "已警告，{date} 起可收回", idle_warned: "已警告 {permit}：{date} 前仍未出摊可收回。", idle_reclaimed: "已收回 {permit}，摊位递补给候补。", idle_none: "没有闲置的摊位。", tab_vendors: "摊主", tab_exports: "导出", tab_accounts: "账号",
      accounts_title: "账号与登录", acct_active: "可登录 · {n} 个会话", acct_disabled: "已停用（{at}）", act_disable: "停用并退出所有登录",
      act_enable: "恢复", acct_done_disable: "已停用 {name}：其所有登录已立即失效。", acct_done_enable: "已恢复 {name}。",
      change_password: "修改我的密码", old_password: "原密码", new_password: "新密码（至少 8 位）", password_changed: "密码已修改；其他设备上的登录已退出。",
      period_from: "从", period_to: "到", refresh: "刷新", chart_checkin: "每日出摊率（按城区）", chart_reports: "举报类别与状态", chart_channels: "举报渠道（按城区）",
      compliance: "按时办结率", compliance_detail: "{closed} / {total} 件在时限内结案", median_handling: "办结用时中位数 {n} 分钟",
      hotspots: "举报集中的摊点", inspections_by_district: "各区检查次数", no_data: "这段时间没有数据。",
      search_permits: "许可证号、摊位或摊主编号", permit_state: "许可证状态", all_states: "全部状态", reason: "理由",
      act_review: "初审通过", act_approve: "复审通过", act_issue: "发证", act_suspend: "暂停", act_reinstate: "恢复", act_revoke: "吊销",
      act_reject_permit: "不予通过", new_vendor: "登记新摊主", vendor_name: "姓名", phone: "手机号", id_card: "身份证号",
      origin: "产地（乡镇）", plate: "车牌号", vendor_created: "已登记摊主 {id}，登录名 {username}。", export_hint: "CSV 文件，Excel 可直接打开（不含联系方式）。",
      export_checkins: "打卡记录", export_reports: "举报案件", export_inspections: "检查记录", export_permits: "许可证",
      total: "合计", district: "城区",
      // allocation (摇号分配)
      nav_allocation: "摇号公示", ps_surrendered: "已退摊",
      alloc_title: "{year} 年摊位申请", alloc_window: "申请时间：{opens} 至 {closes}", alloc_no_window: "申请时间尚未公布。",
      st_apply: "现在可以申请 {year} 年的摊位。", st_wait_for_window: "{year} 年摊位申请还没开始。",
      st_window_closed: "{year} 年摊位申请已经截止。", st_in_review: "您的申请 {no} 已提交，正在审核（中队初审、市局复审）。",
      st_rejected: "您的申请没有通过：{reason}", st_wait_for_draw: "您的申请 {no} 已通过审核，等待摇号。",
      st_allocated: "摇号结果：您分到摊位 {slot}。公示期到 {until}，公示结束后统一发证。",
      st_waitlisted: "这次没有摇到摊位，您在候补名单上：", st_wait_place: "{site} 第 {n} 位",
      st_offer: "有一个摊位 {slot} 空出来给您了，请在 {deadline} 前确认。过期视为放弃。",
      st_permit: "已发证：{permit}。", st_barred: "您不能申请 {year} 年的摊位：{reason}", st_not_allocated: "本季没有分到摊位。",
      pref_n: "第 {n} 志愿", pref_none: "（不选）", renew_label: "续用我去年的摊位（{slot}），去年无吊销、无清零月份且出摊天数达标才能续用",
      household_label: "家庭成员身份证号（每行一个，一户只能申请一个摊位）", priority_label: "优先户类别（如 脱贫户，可不填，由中队核实）",
      expected_kg: "预计上市量（公斤）", certificate: "村委会证明照片", apply_button: "提交申请", applied: "申请已提交，编号 {no}。",
      offer_accept: "接受这个摊位", offer_decline: "放弃", offer_taken: "已接受，许可证 {permit} 已发放。", offer_declined: "已放弃。",
      surrender_button: "退摊（不再经营）", surrender_confirm: "确定退摊吗？退摊后这个摊位会给候补的摊主，本季不能恢复。", surrendered: "已退摊。",
      see_allocation: "查看摇号公示",
      at_stall: "在摊经营的人", at_stall_unchecked: "（未核对）", at_stall_holder: "持证人本人", at_stall_helper: "登记的家庭帮手",
      at_stall_other: "其他人（人证位不符，扣 12 分）",
      helpers_label: "家庭帮手（最多 2 人，随申请一起审核）", helper_name: "帮手姓名", helper_card: "帮手身份证号", helper_relation: "关系（如 配偶、子女）",
      my_record: "我的经营记录", rec_days: "出摊 {days} 天（{share}%）", rec_points: "扣 {n} 分", rec_zero: "{n} 个月清零",
      rec_bar: "{season} 年禁止申请：{reason}", rec_bar_lifted: "（已解除：{reason}）",
      idle_warning: "您的摊位 {permit} 已经多天没有出摊。请在 {date} 前出摊打卡，否则摊位将收回，交给候补的摊主。",
      err_APPLICATIONS_CLOSED: "现在不在申请时间内。{window}",
      err_BARRED: "您不能申请这一季的摊位：{reason}",
      err_HOUSEHOLD_HAS_APPLIED: "您家里已经有人申请了这一季的摊位：一户只能申请一个摊位。",
      err_PHASE: "现在这一步还不能做：{message}",
      err_OFFER_EXPIRED: "这个摊位的确认时间已经过了，已经给了下一位候补摊主。",
      // the public allocation page
      allocation_title: "摊位摇号公示", phase_planning: "规划摊点", phase_applications_open: "接受申请", phase_review: "审核",
      phase_drawn: "已摇号", phase_notice: "公示期", phase_allocated: "已发证", phase_in_season: "经营季", phase_closed: "已结束",
      season_pick: "年度", list_published: "已公布合格申请 {n} 份和随机种子的承诺值", commitment: "承诺值（种子的 SHA-256）", seed: "随机种子（摇号时公开）",
      download_draw: "下载摇号文件", how_to_check: "怎样核对：下载摇号文件，用 tools/verify_draw.py 在任何电脑上重新计算，结果必须一致。",
      site_results: "各摊点结果", col_slot: "摊位", col_application: "申请编号", col_holder: "申请人", col_tier: "类别", col_rank: "顺位", col_permit: "许可证", to_be: "（拟）", permit_to_be: "公示期满后发放的许可证号",
      tier_1: "续用", tier_2: "优先户", tier_3: "一般", waitlist: "候补顺序", applicants: "{n} 人申请 {slots} 个摊位",
      objections: "异议", objection_reason: "异议理由", objection_file: "提出异议", objection_filed: "已收到您的异议 {no}，处理结果会在本页公开。",
      obj_open: "处理中", obj_upheld: "异议成立", obj_dismissed: "异议不成立", not_published: "合格申请名单尚未公布。",
      notice_until: "公示期到 {date}，期间任何人都可以对结果提出异议。",
      // the admin's allocation tab
      tab_allocation: "摇号分配", open_season: "开启下一年度", open_from: "复制自", season_phase: "当前阶段：{phase}",
      window_opens: "申请开始日", window_closes: "申请截止日", next_step: "下一步", by_status: "申请状态",
      oversubscribed: "申请人数超过摊位的摊点", answer: "答复（公开）", uphold: "异议成立", dismiss: "不成立",
      act_open_applications: "开始接受申请", act_close_applications: "截止申请", act_publish_list: "公布名单和承诺值", act_draw: "摇号",
      act_start_notice: "开始公示", act_allocate: "公示结束，统一发证", act_start_season: "开始经营季", act_close_season: "结束本季",
      step_done: "已完成：{phase}",
    },
    en: {
      brand: "Guatan · Lanzhou fruit stalls", nav_map: "Stall map", nav_track: "Track a report", nav_vendor: "Vendor check-in", nav_officer: "Officers", nav_admin: "Admin",
      lang: "中文", loading: "Loading…", retry: "Retry", none: "None", close: "Close", submit: "Submit", cancel: "Cancel", back: "Back",
      status_open: "Open", status_assigned: "Licensed, not open", status_vacant: "Vacant", status_closed_for_day: "Closed for the day",
      sign_in: "Sign in", sign_out: "Sign out", username: "Username", password: "Password", signed_in_as: "Signed in: {name}",
      wrong_role: "This account cannot use this page ({role}). Sign in with the right account.",
      err_network: "No connection. Check the network and try again.",
      err_UNAUTHENTICATED: "Your sign-in has ended. Please sign in again.",
      err_login: "Wrong username or password. Please try again.",
      err_FORBIDDEN: "You are not allowed to do this.",
      err_NOT_FOUND: "Not found. Check the number.",
      err_CONFLICT: "The state has changed and this is no longer possible. Refresh and look again.",
      err_TOO_LARGE: "The file is too large (at most 5 MB a photo).",
      err_UNSUPPORTED_MEDIA_TYPE: "That is not a photo we can take: use a JPG, PNG or WebP picture.",
      err_RATE_LIMITED: "Too many tries. Please try again in {wait}.",
      err_UNAVAILABLE: "The system cannot save right now. Try again in a moment; nothing you entered is lost.",
      err_VALIDATION_FAILED: "Please check: {message}",
      err_other: "Something went wrong: {message}",
      err_NO_PERMIT: "You hold no permit this season, so you cannot check in. Apply for a permit first.",
      err_PERMIT_NOT_ACTIVE: "Your permit is not in force (suspended, revoked or expired). Contact your district's team.",
      err_OUT_OF_SEASON: "Today is outside the season ({from} to {to}).",
      err_OUT_OF_SEASON_plain: "Today is outside the season.",
      err_OUTSIDE_HOURS: "The stalls are closed now. Hours are {opens}–{closes}; check in within them.",
      err_OUTSIDE_HOURS_plain: "The stalls are closed now; check in during opening hours.",
      err_POINTS_EXHAUSTED: "Your points for this month are used up: no trading this month. Check-in opens again on the 1st.",
      err_POOR_ACCURACY: "Your phone's position is not accurate enough. Step into the open, wait a moment and try again.",
      err_TOO_FAR: "You are {distance} m from your stall; check-in works within {allowed} m. Go to your stall and try again.",
      err_TOO_FAR_plain: "You are too far from your stall. Go to your stall and try again.",
      geo_denied: "No position: allow this page to use your location and try again.",
      geo_unavailable: "The phone cannot find its position right now. Step into the open and try again.",
      geo_unsupported: "This browser cannot give a position.",
      seconds: "{n} s", minutes: "{n} min",
      map_title: "Lanzhou's seasonal fruit stalls", search_placeholder: "Search name, address, fruit (e.g. 白兰瓜)", all_districts: "All districts",
      near_me: "Stalls near me", view_map: "Map", view_list: "List", sites_found: "{n} sites",
      slots_summary: "{open} open · {assigned} licensed · {total} stalls", open_stall: "View stall", nearby_title: "Nearest stalls",
      meters: "{n} m", no_sites: "No site matches.", map_plain_note: "No base map configured: positions by coordinates",
      hours: "Hours", site_slots: "Stalls", zoom_in: "Zoom in", zoom_out: "Zoom out", zoom_all: "All", report_here: "Report a problem",
      legend_open: "Stalls open", legend_assigned: "Licensed, not open", legend_vacant: "Vacant", legend_hotspot: "Many reports",
      track_title: "Track your report", tracking_code: "Tracking code", track_button: "Look up", status: "Status", category: "Category",
      reported_at: "Reported", due_at: "Due", timeline: "What happened", rate_title: "Rate how it was handled", score: "Score",
      comment: "Comment (optional)", rated: "Your rating: {score}", reopen_title: "Not solved? Reopen", reopen_note: "What is still wrong",
      reopen_done: "Sent back to the district team.", rating_done: "Thank you for your rating.",
      rs_submitted: "Submitted", rs_accepted: "Accepted", rs_rejected: "Rejected", rs_dispatched: "Dispatched", rs_handled: "Handled",
      rs_verified: "Verified", rs_closed: "Closed", rs_duplicate: "Duplicate",
      role_citizen: "Citizen", role_officer: "Officer", role_admin: "Administrator", role_system: "System",
      role_call_taker: "Call taker", rs_sent_back: "Sent back", act_send_back: "Send back", escalated: "Escalated", channel: "Channel",
      ch_web: "Web / stall code", ch_open311: "Open311", ch_hotline: "Hotline", ch_walk_in: "Walk-in", ch_officer: "Seen on patrol",
      send_back_reason: "Why it goes back", sb_not_ours: "Not our squad's matter", sb_wrong_district: "Another district's", sb_duplicate: "A duplicate",
      sent_back_waiting: "Sent back to the bureau, waiting to be dispatched again.", reply_templates: "Reply templates", ask_extension: "Ask for more time", new_due_at: "New time limit",
      extension_asked: "More time asked until {time}; waiting for the bureau.", notify_sms: "Tell me by SMS when it moves (needs a phone number)",
      voice_note: "Voice note", voice_seconds: "{n} s", voice_kept: "{n} s, heard by the officers only", voice_download: "Browsers cannot play this format (AMR); download it and play it on a phone:",
      voice_loading: "Loading the voice note…", record_voice: "🎤 Record a voice note (up to 60 s)", stop_recording: "■ Done", delete_voice: "Delete the recording",
      recording: "Recording… {n} s", voice_ready: "{n} s recorded; it goes with the report.", mic_denied: "The microphone cannot be used ({message}); you can pick a recording above instead.",
      err_voice_TOO_LARGE: "The recording is too long or too large (at most 60 s and 1 MB).", err_voice_UNSUPPORTED_MEDIA_TYPE: "That is not a recording we can take: use AMR, MP3, M4A, Ogg or WebM.",
      vendor_title: "Vendor check-in", my_permit: "My permit", permit_no: "Permit", stall: "Stall", valid: "Valid", produce: "Produce",
      points_left: "Points left this month", points_of: "of {n}", deductions: "Deductions", checkin_button: "Check in", checkout_button: "Close stall",
      locating: "Finding your position…", checked_in_at: "Checked in at {time}, {distance} m from your stall. Good trading!",
      checked_in_already: "Already checked in today ({time}).", checked_out_at: "Closed at {time}.", today_not_yet: "Not checked in today.",
      history: "Check-in history", no_permit_yet: "You hold no permit in force.", permit_status: "Status",
      ps_requested: "Requested", ps_reviewed: "Reviewed", ps_approved: "Approved", ps_issued: "In force", ps_suspended: "Suspended",
      ps_revoked: "Revoked", ps_rejected: "Rejected", ps_expired: "Expired",
      officer_title: "Officer's desk", tab_queue: "My queue", tab_cases: "Cases", tab_inspect: "Inspection", tab_coverage: "Coverage",
      overdue: "Overdue", due: "Due {time}", queue_empty: "Nothing in the queue.", case_title: "Case {id}", contact: "Reporter's phone",
      public_note: "Note to the citizen (public)", internal_note: "Internal note", duplicate_of: "Duplicate of case",
      act_accept: "Accept", act_reject: "Reject", act_dispatch: "Dispatch", act_handle: "Handled", act_verify: "Verified",
      act_redispatch: "Not fixed: dispatch again", act_close: "Close", act_mark_duplicate: "Mark duplicate",
      action_done: "Done: {status}", no_actions: "No action fits the case's status.", inspect_this: "Inspect this stall",
      slot_id: "Stall number", result: "Result", res_compliant: "Compliant", res_warning: "Warning", res_violation: "Violation", violations: "Violations",
      note: "Notes", photos: "Photos (up to 3)", resolves: "Cases this resolves", use_position: "Attach my position",
      inspected: "Inspection recorded.", deducted: "{points} points deducted, {balance} left.", coverage_days: "Not inspected for days",
      not_inspected: "Sites without an inspection in {days} days:", status_filter: "Case status",
      v_outside_boundary: "Outside the stall (3)", v_not_own_produce: "Not own produce (6)", v_hygiene: "Hygiene (2)",
      v_short_weight: "Short weight (6)", v_permit_not_shown: "Permit not shown (1)", v_person_permit_slot_mismatch: "Person/permit/stall mismatch (12)",
      v_not_cleaned_up: "Not cleaned up (2)",
      admin_title: "Season dashboard", tab_overview: "Overview", tab_permits: "Permits", tab_feedback: "Escalations & delivery", fb_scorecards: "Scorecards ({from} to {to})", fb_in_time: "Handled in time", fb_late: "Handled late", fb_received: "Received",
      fb_on_time: "On time", fb_rework: "Reworked", fb_reopen: "Reopened", fb_satisfaction: "Satisfied", fb_avg: "Average to handle", fb_p90: "90th percentile", fb_escalations: "Past their time limit", fb_extensions: "Extension requests", fb_sent_back: "Sent back", fb_until: "until {time}",
      fb_approve: "Approve", fb_refuse: "Refuse", fb_approved: "{id}: extension approved", fb_refused: "{id}: extension refused", fb_redispatched: "{id} dispatched again", fb_rejected: "{id} rejected",
      fb_webhooks: "Webhooks (the city's operations platform and others)", fb_register: "Register a receiver", fb_hook_name: "Name", fb_secret: "Registered. Its signing secret, shown this once: {secret}",
      fb_paused: "Paused", fb_failing: "Failing", fb_ok: "OK", fb_delivered: "{n} delivered", fb_last_error: "last error: {error}", fb_next: "next try {time}",
      fb_pause: "Pause", fb_resume: "Resume", fb_dead: "Events given up", tab_idle: "Idle stalls", idle_min_days: "Days without a check-in, at least", idle_days: "{n} days idle", idle_last: "last check-in {date}", idle_never: "never checked in",
      idle_explain: "Warn the holder first (he sees it on his page); if he still does not come, take the slot back and it is offered to the waiting list.", idle_warn: "Warn", idle_warn_again: "Warn again", idle_reclaim: "Take back",
      idle_reclaim_on: "warned; may be taken back from {date}", idle_warned: "{permit} warned: taken back from {date} if still idle.", idle_reclaimed: "{permit} taken back; the slot goes to the waiting list.", idle_none: "No idle stalls.", tab_vendors: "Vendors", tab_exports: "Exports", tab_accounts: "Accounts",
      accounts_title: "Accounts and sign-ins", acct_active: "active · {n} sessions", acct_disabled: "disabled ({at})", act_disable: "Disable and sign out everywhere",
      act_enable: "Enable", acct_done_disable: "{name} disabled: every sign-in of it has ended.", acct_done_enable: "{name} enabled.",
      change_password: "Change my password", old_password: "Current password", new_password: "New password (8 or more)", password_changed: "Password changed; other devices are signed out.",
      period_from: "From", period_to: "To", refresh: "Refresh", chart_checkin: "Daily check-in rate by district", chart_reports: "Reports by category and status", chart_channels: "Where reports came from, by district",
      compliance: "Closed within the time limit", compliance_detail: "{closed} of {total} cases", median_handling: "Median handling time {n} min",
      hotspots: "Sites with most reports", inspections_by_district: "Inspections by district", no_data: "No data for this period.",
      search_permits: "Permit, stall or vendor number", permit_state: "Permit state", all_states: "All states", reason: "Reason",
      act_review: "Review", act_approve: "Approve", act_issue: "Issue", act_suspend: "Suspend", act_reinstate: "Reinstate", act_revoke: "Revoke",
      act_reject_permit: "Reject", new_vendor: "Register a vendor", vendor_name: "Name", phone: "Mobile", id_card: "ID card number",
      origin: "Origin (township)", plate: "Vehicle plate", vendor_created: "Vendor {id} registered, login {username}.", export_hint: "CSV files for spreadsheets (no contacts).",
      export_checkins: "Check-ins", export_reports: "Reports", export_inspections: "Inspections", export_permits: "Permits",
      total: "Total", district: "District",
      nav_allocation: "Stall draw", ps_surrendered: "Given up",
      alloc_title: "Applying for a stall in {year}", alloc_window: "Applications: {opens} to {closes}", alloc_no_window: "The dates are not announced yet.",
      st_apply: "You can apply for a {year} stall now.", st_wait_for_window: "Applications for {year} have not opened yet.",
      st_window_closed: "Applications for {year} have closed.", st_in_review: "Your application {no} is being reviewed (district team, then the bureau).",
      st_rejected: "Your application was not accepted: {reason}", st_wait_for_draw: "Your application {no} is accepted and waits for the draw.",
      st_allocated: "The draw gave you stall {slot}. The public notice runs until {until}; permits are issued after it.",
      st_waitlisted: "The draw gave you no stall; you are on the waiting list:", st_wait_place: "{site}: number {n}",
      st_offer: "Stall {slot} has come free for you. Accept it before {deadline}, or it goes to the next.",
      st_permit: "Permit issued: {permit}.", st_barred: "You cannot apply for {year}: {reason}", st_not_allocated: "No stall this season.",
      pref_n: "Choice {n}", pref_none: "(none)", renew_label: "Keep my stall of last year ({slot}); only for a season without revocation, a month at zero points, and with enough days open",
      household_label: "ID numbers of your household (one a line; one application a household)", priority_label: "Priority household (e.g. 脱贫户; optional, the team checks)",
      expected_kg: "Expected amount (kg)", certificate: "Photo of the village committee's certificate", apply_button: "Send application", applied: "Application sent: {no}.",
      offer_accept: "Take this stall", offer_decline: "Decline", offer_taken: "Taken: permit {permit} is issued.", offer_declined: "Declined.",
      surrender_button: "Give up my stall", surrender_confirm: "Give up your stall? It goes to the next on the waiting list and cannot be undone this season.", surrendered: "Stall given up.",
      see_allocation: "See the draw and its notice",
      at_stall: "Who was selling", at_stall_unchecked: "(not checked)", at_stall_holder: "The permit holder", at_stall_helper: "A registered family helper",
      at_stall_other: "Someone else (mismatch, 12 points)",
      helpers_label: "Family helpers (up to 2, reviewed with the application)", helper_name: "Helper's name", helper_card: "Helper's ID number", helper_relation: "Relation (e.g. spouse)",
      my_record: "My record", rec_days: "open {days} days ({share}%)", rec_points: "{n} points lost", rec_zero: "{n} months at zero",
      rec_bar: "Barred from {season}: {reason}", rec_bar_lifted: " (lifted: {reason})",
      idle_warning: "Your stall {permit} has not opened for days. Check in before {date}, or the stall is taken back for the next on the waiting list.",
      err_APPLICATIONS_CLOSED: "Applications are not open now. {window}",
      err_BARRED: "You cannot apply for this season: {reason}",
      err_HOUSEHOLD_HAS_APPLIED: "Someone in your household has applied this season: one application a household.",
      err_PHASE: "This step is not possible yet: {message}",
      err_OFFER_EXPIRED: "The time to accept this stall has passed; it went to the next on the list.",
      allocation_title: "Stall draw and public notice", phase_planning: "Planning", phase_applications_open: "Applications open", phase_review: "Review",
      phase_drawn: "Drawn", phase_notice: "Public notice", phase_allocated: "Permits issued", phase_in_season: "In season", phase_closed: "Closed",
      season_pick: "Season", list_published: "{n} qualified applications and the commitment to the seed are published", commitment: "Commitment (SHA-256 of the seed)", seed: "Seed (revealed at the draw)",
      download_draw: "Download the draw file", how_to_check: "To check: download the draw file and run tools/verify_draw.py on any computer; it must give the same results.",
      site_results: "Results by site", col_slot: "Stall", col_application: "Application", col_holder: "Applicant", col_tier: "Tier", col_rank: "Rank", col_permit: "Permit", to_be: " (to be)", permit_to_be: "The permit number issued after the notice",
      tier_1: "Renewal", tier_2: "Priority", tier_3: "General", waitlist: "Waiting list", applicants: "{n} applicants for {slots} stalls",
      objections: "Objections", objection_reason: "What is wrong", objection_file: "Object", objection_filed: "Objection {no} received; the answer will be public here.",
      obj_open: "Open", obj_upheld: "Upheld", obj_dismissed: "Dismissed", not_published: "The list is not published yet.",
      notice_until: "The notice runs until {date}; anyone may object to a result until then.",
      tab_allocation: "Allocation", open_season: "Open next season", open_from: "Copy from", season_phase: "Phase: {phase}",
      window_opens: "Applications open on", window_closes: "Applications close on", next_step: "Next step", by_status: "Applications",
      oversubscribed: "Sites with more applicants than stalls", answer: "Answer (public)", uphold: "Uphold", dismiss: "Dismiss",
      act_open_applications: "Open applications", act_close_applications: "Close applications", act_publish_list: "Publish list and commitment", act_draw: "Draw",
      act_start_notice: "Start the notice", act_allocate: "Issue every permit", act_start_season: "Start the season", act_close_season: "Close the season",
      step_done: "Done: {phase}",
    },
  };

  const params = new URLSearchParams(location.search);
  let lang = params.get("lang") || localStorage.getItem("guatan.lang") || "zh";
  if (!WORDS[lang]) lang = "zh";

  function t(key, vars = {}) {
    const text = WORDS[lang][key] ?? WORDS.zh[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? ""));
  }

  /** Fills every element marked data-t (text) or data-t-placeholder / data-t-title. */
  function translate(root = document) {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-t]").forEach((node) => { node.textContent = t(node.dataset.t); });
    root.querySelectorAll("[data-t-placeholder]").forEach((node) => { node.placeholder = t(node.dataset.tPlaceholder); });
    root.querySelectorAll("[data-t-title]").forEach((node) => { node.title = t(node.dataset.tTitle); node.setAttribute("aria-label", t(node.dataset.tTitle)); });
  }

  const listeners = [];
  function onLanguage(callback) { listeners.push(callback); }
  function setLanguage(next) {
    lang = next;
    localStorage.setItem("guatan.lang", next);
    translate();
    listeners.forEach((callback) => callback());
  }

  /** Every role changes its own password; the other devices' sign-ins end. */
  function passwordForm() {
    const message = el("div", { class: "hidden", id: "password-result" });
    const form = el("form", { class: "card", id: "password-form" }, el("h2", {}, t("change_password")),
      el("label", { for: "old-password" }, t("old_password")), el("input", { type: "password", id: "old-password", name: "old_password", required: true, autocomplete: "current-password" }),
      el("label", { for: "new-password" }, t("new_password")), el("input", { type: "password", id: "new-password", name: "new_password", required: true, minlength: 8, autocomplete: "new-password" }),
      el("p", {}, el("button", { type: "submit" }, t("submit"))), message);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await api("/api/v1/me/password", { method: "POST", json: Object.fromEntries(new FormData(form)) });
        showMessage(message, "ok", t("password_changed"));
        form.reset();
      } catch (error) { showMessage(message, "error", explain(error)); }
    });
    return form;
  }

  /** Builds an element: el("li", {class: "x", onclick: f}, "text", child). */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "class") node.className = value;
      // Through the DOM, not as an attribute: the Content-Security-Policy allows no style attributes.
      else if (name === "style") node.style.cssText = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** Replaces a node's children, leaving out the nulls and flattening the lists of a render. */
  function fill(node, ...children) {
    node.replaceChildren(...children.flat(Infinity).filter((child) => child !== null && child !== undefined && child !== false));
    return node;
  }

  class APIError extends Error {
    constructor(status, body) {
      const error = (body && body.error) || {};
      super(error.message || `HTTP ${status}`);
      this.status = status;
      this.code = error.code || (status === 0 ? "NETWORK" : "HTTP_" + status);
      this.field = error.field;
      this.details = error.details || {};
      this.retryAfter = null;
    }
  }

  // The signed-in account. The server alone decides when a sign-in ends (a 401 drops it here):
  // a phone's clock is often wrong, so expires_at is not compared with it.
  const SESSION_KEY = "guatan.session";
  function session() {
    try {
      const value = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
      if (value && value.token && value.role) return value;
    } catch (_) { /* a damaged entry is no session */ }
    return null;
  }

  async function api(path, { method = "GET", json, form, auth = true } = {}) {
    const headers = { Accept: "application/json" };
    const current = auth ? session() : null;
    if (current) headers.Authorization = "Bearer " + current.token;
    let body;
    if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
    if (form !== undefined) body = form;
    let response;
    try {
      response = await fetch(path, { method, headers, body });
    } catch (_) {
      throw new APIError(0, { error: { code: "NETWORK", message: "network" } });
    }
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json().catch(() => null) : null;
    if (!response.ok) {
      const error = new APIError(response.status, data);
      error.retryAfter = Number(response.headers.get("Retry-After")) || null;
      if (error.code === "UNAUTHENTICATED" && current) localStorage.removeItem(SESSION_KEY);
      throw error;
    }
    return data;
  }

  /** A signed-in file (a voice note) as a Blob, for an object URL: the token never goes in a link. */
  async function apiBlob(path) {
    const current = session();
    let response;
    try {
      response = await fetch(path, { headers: current ? { Authorization: "Bearer " + current.token } : {} });
    } catch (_) {
      throw new APIError(0, { error: { code: "NETWORK", message: "network" } });
    }
    if (!response.ok) throw new APIError(response.status, await response.json().catch(() => null));
    return response.blob();
  }

  function duration(seconds) {
    return seconds >= 90 ? t("minutes", { n: Math.ceil(seconds / 60) }) : t("seconds", { n: seconds });
  }

  /** The error in words the user understands; check-in refusals say how far and when (the
   *  season's dates from `/api/v1/seasons/current` when the page has them: never hard-coded). */
  function explain(error, season) {
    if (!(error instanceof APIError)) return t("err_other", { message: String(error && error.message || error) });
    const d = error.details || {};
    switch (error.code) {
      case "NETWORK": return t("err_network");
      case "TOO_FAR":
        return d.distance_m !== undefined && d.allowed_m !== undefined
          ? t("err_TOO_FAR", { distance: Math.round(d.distance_m), allowed: Math.round(d.allowed_m) }) : t("err_TOO_FAR_plain");
      case "OUTSIDE_HOURS":
        return d.opens_at ? t("err_OUTSIDE_HOURS", { opens: d.opens_at, closes: d.closes_at }) : t("err_OUTSIDE_HOURS_plain");
      case "OUT_OF_SEASON":
        return season && season.starts_on ? t("err_OUT_OF_SEASON", { from: season.starts_on, to: season.ends_on }) : t("err_OUT_OF_SEASON_plain");
      case "RATE_LIMITED": return t("err_RATE_LIMITED", { wait: duration(error.retryAfter || 60) });
      case "VALIDATION_FAILED": return t("err_VALIDATION_FAILED", { message: error.message });
      case "APPLICATIONS_CLOSED":
        return t("err_APPLICATIONS_CLOSED", { window: d.opens_on ? t("alloc_window", { opens: d.opens_on, closes: d.closes_on }) : t("alloc_no_window") });
      case "BARRED": return t("err_BARRED", { reason: d.reason || error.message });
      case "PHASE": return t("err_PHASE", { message: error.message });
      default:
        if (error.field === "voice" && WORDS.zh["err_voice_" + error.code]) return t("err_voice_" + error.code);
        if (WORDS.zh["err_" + error.code]) return t("err_" + error.code);
        return t("err_other", { message: error.message });
    }
  }

  function showMessage(box, kind, text) {
    box.className = "message " + kind;
    box.textContent = text;
    box.classList.remove("hidden");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
  }

  const zone = { timeZone: "Asia/Shanghai" };
  function formatTime(instant) {
    if (!instant) return "";
    return new Date(instant).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { ...zone, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  }
  function formatClock(instant) {
    return new Date(instant).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { ...zone, hour: "2-digit", minute: "2-digit" });
  }

  /** The shared header: brand, the pages, the language switch. */
  function header(current) {
    const pages = [["/", "nav_map"], ["/track.html", "nav_track"], ["/allocation.html", "nav_allocation"], ["/vendor.html", "nav_vendor"], ["/officer.html", "nav_officer"], ["/admin.html", "nav_admin"]];
    const bar = el("header", { class: "top" },
      el("a", { class: "brand", href: "/", "data-t": "brand" }),
      el("nav", {}, pages.map(([href, key]) => el("a", { href, "data-t": key, "aria-current": href === current ? "page" : null }))),
      el("button", { class: "lang", type: "button", "data-t": "lang", onclick: () => setLanguage(lang === "zh" ? "en" : "zh") }));
    document.body.prepend(bar);
    translate();
  }

  /**
   * Sign-in for a role's page: shows the form until an account of that role signs in,
   * then calls ready(session). Other roles are told plainly.
   */
  function requireSignIn(container, roles, ready) {
    const current = session();
    if (current && roles.includes(current.role)) { ready(current); return; }
    const message = el("div", { class: "hidden" });
    const username = el("input", { type: "text", id: "username", name: "username", autocomplete: "username", required: true });
    const password = el("input", { type: "password", id: "password", name: "password", autocomplete: "current-password", required: true });
    const button = el("button", { type: "submit", id: "sign-in", "data-t": "sign_in" });
    const form = el("form", { class: "card", id: "sign-in-form" },
      el("label", { for: "username", "data-t": "username" }), username,
      el("label", { for: "password", "data-t": "password" }), password,
      el("p", {}, button), message);
    if (current) showMessage(message, "error", t("wrong_role", { role: current.role }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      button.disabled = true;
      try {
        const signedIn = await api("/api/v1/auth/login", { method: "POST", json: { username: username.value.trim(), password: password.value }, auth: false });
        if (!roles.includes(signedIn.role)) {
          showMessage(message, "error", t("wrong_role", { role: signedIn.role }));
          await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: "Bearer " + signedIn.token } }).catch(() => {});
          return;
        }
        localStorage.setItem(SESSION_KEY, JSON.stringify(signedIn));
        form.remove();
        ready(signedIn);
      } catch (error) {
        showMessage(message, "error", error.code === "UNAUTHENTICATED" ? t("err_login") : explain(error));
      } finally {
        button.disabled = false;
      }
    });
    container.replaceChildren(form);
    translate(form);
  }

  async function signOut() {
    await api("/api/v1/auth/logout", { method: "POST" }).catch(() => {});
    localStorage.removeItem(SESSION_KEY);
    location.reload();
  }

  /** The browser's position (WGS-84, as browsers give it), or a plain-words error. */
  function position() {
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) { reject(new Error(t("geo_unsupported"))); return; }
      navigator.geolocation.getCurrentPosition(
        (found) => resolve({ lat: found.coords.latitude, lng: found.coords.longitude, accuracy_m: Math.round(found.coords.accuracy * 10) / 10 }),
        (failure) => reject(new Error(failure.code === 1 ? t("geo_denied") : t("geo_unavailable"))),
        { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
  }

  /** Every page of a paged list, for the lists the pages draw whole (a few hundred rows). */
  async function allPages(path, perPage = 200, limit = 50) {
    const items = [];
    for (let page = 1; page <= limit; page++) {
      const separator = path.includes("?") ? "&" : "?";
      const data = await api(`${path}${separator}page=${page}&per_page=${perPage}`, { auth: false });
      items.push(...data.items);
      if (items.length >= data.total || data.items.length === 0) break;
    }
    return items;
  }

  return { t, translate, onLanguage, setLanguage, get lang() { return lang; }, el, fill, api, apiBlob, APIError, explain, showMessage, session, signOut,
    requireSignIn, header, passwordForm, position, formatTime, formatClock, allPages, params };
})();
