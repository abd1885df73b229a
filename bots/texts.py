"""Every sentence a member reads, in one place so wording is reviewed together."""

from __future__ import annotations

from datetime import datetime

from bots.ports import (
    BindResult,
    CancelOutcome,
    CheckinResult,
    ConsoleLink,
    EventSummary,
    LeaveResult,
    MySignup,
    PushState,
    SignupResult,
)

WELCOME = "欢迎关注红心！这里是党员学习与活动服务号。"

HELP = """可以发送以下关键词：
学习 / 微党课 —— 今日微党课
课程 —— 课程列表（按专题分组），发送“课程 N”打开第 N 课
答题 —— 开始党建知识答题
错题 —— 查看最近答错的题
活动 —— 近期活动
报名 N / 取消报名 N —— 报名或取消第 N 号活动
我的报名 —— 我报名的活动
请假 N 原因 —— 不能参加第 N 号会议时请假，例如：请假 3 出差在外
积分 —— 我的红色积分
订阅 / 退订 —— 订阅或退订每日微党课推送（默认已订阅）
绑定 姓名 手机号 —— 绑定党员花名册，例如：绑定 张三 13800000000
我的信息 —— 查看绑定的个人信息；注销 —— 删除个人信息
申报 描述 —— 申报线下先锋事迹（可随后发送照片），审核后计入红色积分
姓名 张三 / 电话 13800000000 / 支部 第一党支部 —— 登记个人信息
帮助 —— 显示本说明"""

FALLBACK = "没有看懂这条消息。发送“帮助”查看可用的关键词。"

PROFILE_SAVED = {
    "name": "已登记姓名：{value}",
    "phone": "已登记电话：{value}",
    "branch": "已登记支部：{value}",
}
NAME_INVALID = "姓名需为 1–20 个汉字或字母，例如：姓名 张三"
PHONE_INVALID = "请发送 11 位手机号，例如：电话 13800000000"
BRANCH_INVALID = "支部名称需为 2–30 个字，例如：支部 第一党支部"
SENSITIVE_REFUSED = "内容包含不宜使用的词语，请修改后重新发送。"


def welcome() -> str:
    return f"{WELCOME}\n\n{HELP}"


# --------------------------------------------------------------------------- events

_WEEKDAYS = "一二三四五六日"


def when(moment: datetime) -> str:
    """``11月22日(周六) 14:00``; ``moment`` is already in the service's time zone."""
    return f"{moment.month}月{moment.day}日(周{_WEEKDAYS[moment.weekday()]}) {moment:%H:%M}"


EVENTS_NONE = "近期暂无活动，请留意后续通知。"
EVENTS_FOOTER = "发送“报名 N”报名第 N 号活动，“我的报名”查看已报名的活动。"
SIGNUP_USAGE = "请发送“报名 活动编号”，例如：报名 3。发送“活动”查看活动编号。"
CANCEL_USAGE = "请发送“取消报名 活动编号”，例如：取消报名 3。"
MY_SIGNUPS_NONE = "您还没有报名任何活动。发送“活动”看看近期活动。"
ASK_FOR_NAME = "请发送“姓名 张三”登记您的姓名，方便组织者核对签到。"
SIGNUP_TOO_FAST = "您报名、取消报名的操作过于频繁，请稍候一分钟再试。"


def event_line(event: EventSummary) -> str:
    seats = (f"余位 {event.seats_left}/{event.capacity}" if event.seats_left
             else "名额已满，可报名候补")
    lines = [f"【{event.id}】{event.title}", f"时间：{when(event.starts_at)}",
             f"地点：{event.location}", seats]
    if event.signup_deadline is not None:
        lines.insert(3, f"报名截止：{when(event.signup_deadline)}")
    return "\n".join(lines)


def event_list(events: list[EventSummary]) -> str:
    return "近期活动：\n\n" + "\n\n".join(event_line(e) for e in events) + "\n\n" + EVENTS_FOOTER


def signup_reply(result: SignupResult, *, has_name: bool) -> str:
    event, outcome = result.event, result.outcome
    if outcome == "rate_limited":
        return SIGNUP_TOO_FAST
    if event is None or outcome == "unknown":
        return "没有找到这个活动编号。发送“活动”查看近期活动。"
    head = f"【{event.id}】{event.title}"
    if outcome == "confirmed":
        text = (f"报名成功！{head}\n时间：{when(event.starts_at)}\n地点：{event.location}\n"
                "活动开始前会提醒您；如不能参加，请发送“取消报名 "
                f"{event.id}”把名额让给他人。")
        return text if has_name else f"{text}\n\n{ASK_FOR_NAME}"
    if outcome == "waitlisted":
        text = (f"{head} 名额已满，您已进入候补，排第 {result.position} 位。"
                "有人取消时将按顺序递补并通知您。")
        return text if has_name else f"{text}\n\n{ASK_FOR_NAME}"
    refusals = {
        "already_confirmed": f"您已报名{head}，无需重复报名。",
        "already_waitlisted": f"您已在{head}的候补名单中，排第 {result.position} 位。",
        "cancelled": f"{head} 已取消，无法报名。",
        "started": f"{head} 已开始或已结束，报名已关闭。",
        "deadline_passed": f"{head} 报名已截止。",
        "meeting": meeting_signup_refused(event.id, event.title),
    }
    return refusals[outcome]


def cancel_reply(outcome: CancelOutcome, event_id: int) -> str:
    return {
        "cancelled": f"已取消第 {event_id} 号活动的报名。",
        "not_signed_up": f"您没有报名第 {event_id} 号活动。",
        "unknown": "没有找到这个活动编号。发送“活动”查看近期活动。",
        "started": f"第 {event_id} 号活动已开始，不能再取消报名。",
        "rate_limited": SIGNUP_TOO_FAST,
    }[outcome]


def my_signups(signups: list[MySignup]) -> str:
    lines = ["我的报名："]
    for item in signups:
        event = item.event
        if item.status == "waitlisted":
            state = f"候补第 {item.position} 位"
        else:
            state = "已签到" if item.checked_in else "已报名"
        lines.append(f"【{event.id}】{event.title}（{state}）\n"
                     f"时间：{when(event.starts_at)}\n地点：{event.location}")
    return "\n\n".join(lines)


def checkin_reply(result: CheckinResult) -> str:
    event = result.event
    if event is None or result.outcome == "unknown":
        return "签到码无效：没有找到这个活动。"
    head = f"【{event.id}】{event.title}"
    return {
        "checked_in": f"签到成功！{head}" + (f"，获得 {result.points} 积分。" if result.points
                                              else "。"),
        "already_checked_in": f"您已签到过{head}，无需重复签到。",
        "not_signed_up": f"您没有报名{head}，请联系现场组织者签到。",
        "waitlisted": f"您在{head}的候补名单中，尚未获得名额，请联系现场组织者。",
        "cancelled": f"{head} 已取消。",
        "too_early": f"{head} 尚未开始签到" + (
            f"，签到将于 {when(result.opens_at)} 开始，请届时再扫码。" if result.opens_at
            else "，请在活动开始前 1 小时内扫码。"),
        "too_late": f"{head} 已结束，签到已关闭" + (
            f"（活动于 {when(result.closes_at)} 结束）。" if result.closes_at else "。"),
        "not_expected": meeting_not_expected(head),
    }[result.outcome]


def event_reminder(title: str, moment: str, location: str) -> str:
    return f"活动提醒：您报名的“{title}”将于 {moment} 在 {location} 开始，请准时参加。"


def waitlist_promoted(event_id: int, title: str, moment: str, location: str) -> str:
    return (f"候补成功：您已获得“{title}”的名额！时间：{moment}，地点：{location}。"
            f"如不能参加，请发送“取消报名 {event_id}”。")


def event_cancelled(title: str, moment: str) -> str:
    return f"活动取消通知：原定于 {moment} 的“{title}”已取消，给您带来不便，敬请谅解。"


# --------------------------------------------------------------------------- meetings

LEAVE_USAGE = "请发送“请假 会议编号 原因”，例如：请假 3 出差在外。会议编号见会议通知。"
LEAVE_UNKNOWN = "没有找到这个会议编号，请核对会议通知中的编号。"


def meeting_not_expected(head: str) -> str:
    return f"您不在{head}的应参会人员中（该会议属于其他组织），无法签到或请假。"


def leave_reply(result: LeaveResult, *, in_app: bool = False) -> str:
    """The answer to 请假; ``in_app``: for the mini-program, without chat instructions."""
    event = result.event
    if result.outcome == "empty_reason":
        return "请假需要写明原因。" + ("" if in_app else LEAVE_USAGE)
    if result.outcome == "reason_too_long":
        return "请假原因请控制在 100 字以内。"
    if result.outcome == "sensitive":
        return "请假原因包含不宜使用的词语，请修改后重新" + ("提交。" if in_app else "发送。")
    if event is None or result.outcome == "unknown":
        return "没有找到这个会议。" if in_app else LEAVE_UNKNOWN
    head = f"【{event.id}】{event.title}"
    return {
        "granted": f"已请假：{head}（{when(event.starts_at)}）。会前提醒将不再发送。",
        "checked_in": f"您已在{head}签到，无需请假。",
        "started": f"{head} 已开始或已结束，不能再请假；如有特殊情况请联系支部书记。",
        "cancelled": f"{head} 已取消，无需请假。",
        "not_expected": meeting_not_expected(head),
        "not_meeting": f"{head} 是活动而非会议，无需请假" + (
            "，不能参加请取消报名。" if in_app else f"；不能参加请发送“取消报名 {event.id}”。"),
    }[result.outcome]


def meeting_notice(event_id: int, org: str, kind: str, title: str, moment: str,
                   location: str) -> str:
    return (f"会议通知：{org}定于 {moment} 在 {location} 召开{kind}“{title}”，请准时参加。"
            f"如不能参加，请发送“请假 {event_id} 原因”。")


def org_notice(title: str, body: str, sender: str) -> str:
    """A notice (通知) from the console, as a customer-service or mass-sent text."""
    return f"【通知】{title}\n{body}\n——{sender}"


def meeting_reminder(event_id: int, kind: str, title: str, moment: str, location: str) -> str:
    return (f"会议提醒：{kind}“{title}”将于 {moment} 在 {location} 召开，请准时参加，"
            f"到场扫码签到。如不能参加，请发送“请假 {event_id} 原因”。")


def meeting_signup_refused(event_id: int, title: str) -> str:
    return (f"【{event_id}】{title} 是组织生活会议，无需报名：应参会人员会收到会议通知，"
            "到场扫码签到即可。")


def compliance_reminder(org: str, kind: str, period: str, closes: str) -> str:
    return (f"组织生活提醒：{org}{period}的{kind}尚未召开，本期将于 {closes} 结束，"
            "请及时安排。")


# ------------------------------------------------------------- lessons, quizzes, points

NO_LESSON_YET = "暂时还没有微党课，敬请期待。"
NO_LESSONS = "课程库还是空的，敬请期待。"
LESSON_NUMBER_INVALID = "请发送“课程 N”打开第 N 课，N 为课程列表中的编号。"
LESSON_LIST_HEAD = "课程列表（发送“课程 N”打开第 N 课）："
LESSON_LIST_MORE = "……仅显示最近 {shown} 课，共 {count} 课。"
LESSONS_FOUND = "找到这些相关课程，发送“课程 N”阅读："
LESSONS_WITHOUT_SERIES = "其他课程"


def lesson_series_heading(name: str) -> str:
    return f"《{name}》"


def lesson_series_head(name: str) -> str:
    return f"专题《{name}》（发送“课程 N”打开第 N 课）："


def lesson_not_found(number: int) -> str:
    return f"没有第 {number} 课。发送“课程”查看课程列表。"


def lesson_description(summary: str) -> str:
    hint = "点击阅读全文，打开即计入学习积分。"
    return f"{summary}\n{hint}" if summary else hint


QUIZ_NO_BANK = "题库尚未启用，暂时无法答题。"
QUIZ_CONTEST_USED_UP = "本次知识竞赛的答题次数已用完，感谢参与！"
QUIZ_CLOSED = "本次答题已结束（长时间未作答会自动结束）。发送“答题”重新开始。"
QUIZ_RIGHT = "回答正确"
QUIZ_WRONG = "回答错误"
QUIZ_TYPE_LABELS = {"single": "单选题", "multiple": "多选题", "truefalse": "判断题",
                    "fill": "填空题"}
QUIZ_HOW_TO_ANSWER = {
    "single": "请回复一个选项字母，例如 A；发送“退出”结束答题。",
    "multiple": "请回复所有正确选项的字母，例如 AC；发送“退出”结束答题。",
    "truefalse": "请回复“对”或“错”；发送“退出”结束答题。",
    "fill": "请直接回复答案；发送“退出”结束答题。",
}
QUIZ_ANSWER_PROBLEMS = {
    "empty": "没有收到答案。",
    "not_letters": "请用选项字母作答。",
    "unknown_letter": "没有这个选项。",
    "too_many_letters": "这是单选题，只能选一个选项。",
    "not_true_false": "判断题请回复“对”或“错”。",
}
QUIZ_STATUS = {"finished": "答题结束", "quit": "已退出答题", "expired": "答题已超时结束"}
NO_WRONG_ANSWERS = "最近没有答错的题目，继续保持！发送“答题”再来一轮。"
WRONG_ANSWERS_HEAD = "最近答错的题目："


def quiz_question(position: int, total: int, kind: str, stem: str,
                  options: tuple[str, ...]) -> str:
    lines = [f"第 {position}/{total} 题（{QUIZ_TYPE_LABELS.get(kind, '题目')}）", stem]
    lines += [f"{'ABCDEF'[index]}. {option}" for index, option in enumerate(options)]
    lines.append(QUIZ_HOW_TO_ANSWER.get(kind, QUIZ_HOW_TO_ANSWER["fill"]))
    return "\n".join(lines)


def contest_banner(title: str) -> str:
    return f"【知识竞赛】{title}"


def quiz_verdict(correct: bool, expected: str, explanation: str, points: int,
                 timed_out: bool = False) -> str:
    head = f"{QUIZ_RIGHT}！" if correct else f"{QUIZ_WRONG}{'（超时）' if timed_out else ''}。"
    lines = [f"{head}正确答案：{expected}"]
    if explanation:
        lines.append(f"解析：{explanation}")
    if points:
        lines.append(f"积分 +{points}")
    return "\n".join(lines)


def quiz_score(status: str, correct: int, answered: int, total: int, points: int) -> str:
    head = QUIZ_STATUS.get(status, QUIZ_STATUS["finished"])
    lines = [f"{head}！得分：{correct}/{total}（共作答 {answered} 题）"]
    if total and correct == total:
        lines.append("全部答对，太棒了！")
    if points:
        lines.append(f"本轮获得 {points} 积分。")
    lines.append("发送“错题”查看答错的题目，发送“答题”再来一轮。")
    return "\n".join(lines)


def wrong_answer(index: int, stem: str, options: tuple[str, ...], expected: str, given: str,
                 explanation: str) -> str:
    lines = [f"{index}. {stem}"]
    lines += [f"   {'ABCDEF'[n]}. {option}" for n, option in enumerate(options)]
    lines.append(f"   正确答案：{expected}（您的答案：{given or '未作答'}）")
    if explanation:
        lines.append(f"   解析：{explanation}")
    return "\n".join(lines)


def points_summary(total: int, rank: int, members: int) -> str:
    if total == 0 and rank == 0:
        return "您还没有红色积分。发送“学习”阅读微党课，或发送“答题”参加答题来获得积分。"
    return f"您的红色积分：{total} 分，排名第 {rank} 名（共 {members} 人）。"


def points_line(moment: datetime, label: str, delta: int) -> str:
    # 积分 formats five of these on every ask: one %-format costs half of an f-string
    # with a format spec per field, and a third of strftime on an aware datetime.
    return "%02d-%02d %02d:%02d %s %+d" % (  # noqa: UP031
        moment.month, moment.day, moment.hour, moment.minute, label, delta)


POINTS_RECENT_HEAD = "最近积分记录："


# --------------------------------------------------------------------------- pushes and menu


def daily_lesson_push(title: str, summary: str, link: str | None) -> str:
    lines = [f"【今日微党课】{title}", summary]
    if link:
        lines.append(f"阅读全文：{link}")
    lines.append("发送“退订”可停止每日推送。")
    return "\n".join(line for line in lines if line)


PUSH_WINDOW_NOTE = ("按微信平台规则，公众号只能在您最近一次发消息后的 48 小时内给您推送；"
                    "超过 48 小时没有互动时推送会暂停，给公众号发任意一条消息即可恢复。")


def push_status(state: PushState) -> str:
    """One line for a profile reply (``我的信息``) or the 订阅 reply."""
    if not state.enabled:
        return "每日微党课推送：已退订（发送“订阅”重新订阅）"
    if state.reachable_until is None:
        return "每日微党课推送：已订阅，但超过 48 小时未互动，暂停送达"
    return f"每日微党课推送：已订阅，可送达至 {when(state.reachable_until)}"


def push_subscribed(state: PushState, *, already: bool) -> str:
    head = "您已订阅每日微党课推送。" if already else "订阅成功！每天将为您推送今日微党课。"
    return f"{head}\n{push_status(state)}\n{PUSH_WINDOW_NOTE}\n发送“退订”可停止推送。"


def push_unsubscribed(*, already: bool) -> str:
    head = "您没有订阅每日微党课推送。" if already else "已退订每日微党课推送。"
    return f"{head}发送“订阅”可重新订阅；发送“学习”随时阅读今日微党课。"


# The custom menu (`hongxin menu push`): names within the platform's 16/60-byte limits.
MENU_LESSON = "今日微党课"
MENU_QUIZ = "知识答题"
MENU_MORE = "我的"
MENU_EVENTS = "活动报名"
MENU_POINTS = "红色积分"


# --------------------------------------------------------------------------- the roster

BIND_USAGE = "请发送“绑定 姓名 手机号”，例如：绑定 张三 13800000000"
BIND_NO_MATCH = ("没有找到与该姓名和手机号一致的花名册记录，绑定未成功。请核对后重试；"
                 "如仍不成功，请联系您所在党支部的书记或组织委员，或联系管理员核对花名册。")
BIND_TOO_FAST = "绑定尝试过于频繁，请一小时后再试；如需帮助，请联系所在党支部的书记或组织委员。"
PRIVACY_NOTICE = ("【个人信息说明】我们保存您的姓名、手机号、所在组织、政治面貌以及学习、答题、"
                  "活动和积分记录，仅用于党组织管理；只有本组织的管理员和活动组织者可以查看。"
                  "发送“我的信息”查看，发送“注销”可删除您的个人信息。")
UNBOUND_INFO_HINT = "尚未绑定党员花名册。党员请发送“绑定 姓名 手机号”完成绑定。"
ERASE_ASK = ("注销将删除您的姓名、手机号、花名册绑定和会话记录，且无法恢复；"
             "您的积分与活动记录将仅以匿名方式计入统计。\n"
             "确认请在 10 分钟内回复“确认注销”，回复其他内容则取消。")
ERASE_DONE = "已注销：您的个人信息已删除。如需重新使用，请发送“帮助”。"
ERASE_CANCELLED = "已取消注销，您的信息未作改动。"
ERASE_NOT_ASKED = "请先发送“注销”，再按提示确认。"


def mask_phone(phone: str) -> str:
    """``138****0001``: enough for the member to recognise, too little to misuse."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else "****"


def bound(name: str, org: str) -> str:
    return f"绑定成功！{name}，您已绑定到“{org}”。"


def bind_taken(org: str) -> str:
    return (f"该花名册记录已绑定其他微信号，无法重复绑定。如需更换，请联系“{org}”的书记或"
            "组织委员，或联系管理员解除原绑定。")


def already_bound(name: str, org: str) -> str:
    return f"您已绑定花名册：{name}（{org}）。如信息有误，请联系所在党支部的书记或组织委员。"


CONSOLE_NOT_BOUND = ("“后台”是党组织管理员和活动组织者登录管理后台用的。"
                     "请先发送“绑定 姓名 手机号”绑定党员花名册；"
                     "需要后台权限的，请联系党组织管理员在后台为您分配角色。")
CONSOLE_NO_ROLE = ("您还没有管理后台的权限。如需使用，"
                   "请联系党组织管理员在后台“后台角色”页为您分配角色。")
CONSOLE_ROLES = {"admin": "管理员", "organizer": "组织者"}


def console_link(link: ConsoleLink) -> str:
    if link.outcome == "not_bound":
        return CONSOLE_NOT_BOUND
    if link.outcome == "no_role":
        return CONSOLE_NO_ROLE
    role = CONSOLE_ROLES.get(link.role, link.role)
    where = link.org or "全部组织"
    return (f"管理后台登录链接（{link.valid_minutes} 分钟内有效，只能使用一次）：\n{link.url}\n"
            f"身份：{role}（{where}）\n"
            "请勿转发：拿到链接的人可以用您的身份登录。")


def bind_result(result: BindResult) -> str:
    card = result.card
    if result.outcome == "bound" and card is not None:
        return f"{bound(card.name, card.org)}\n\n{PRIVACY_NOTICE}"
    if result.outcome == "already_bound" and card is not None:
        return already_bound(card.name, card.org)
    if result.outcome == "taken" and card is not None:
        return bind_taken(card.org)
    if result.outcome == "rate_limited":
        return BIND_TOO_FAST
    return BIND_NO_MATCH


def from_roster(field: str, org: str) -> str:
    """Bound members' name, phone and org come from the roster, not from chat."""
    return (f"您已绑定花名册（{org}），{field}以花名册为准，无需登记。"
            "如有变动，请联系所在党支部的书记或组织委员。")


def my_info(name: str | None, phone: str | None, org: str | None, status: str | None,
            points: int) -> str:
    lines = ["我的信息：", f"姓名：{name or '未登记'}",
             f"手机号：{mask_phone(phone) if phone else '未登记'}"]
    if org is not None:
        lines += [f"所在组织：{org}", f"政治面貌：{status}"]
    lines.append(f"红色积分：{points} 分")
    return "\n".join(lines)


# ------------------------------------------------------------- red points: claims of deeds

CLAIM_EMPTY = ("请在“申报”后写明事迹，例如：申报 周六参加社区义务清扫 3 小时。"
               "发送后可再发一张照片作为佐证。")
CLAIM_UNBOUND = ("申报线下事迹需先绑定党员花名册：请发送“绑定 姓名 手机号”，"
                 "例如：绑定 张三 13800000000。")
CLAIM_TOO_LONG = "申报内容不能超过 500 字，请精简后重新发送。"
CLAIM_PHOTO_REFUSED = "这条申报已审核或照片已达 9 张，照片未添加。"


def claim_received(claim_id: int) -> str:
    return (f"已收到您的申报（编号 {claim_id}），将由组织审核，结果会通知您。"
            "如有照片，请在 30 分钟内直接发送。")


def claim_photo_added(claim_id: int) -> str:
    return f"照片已附到申报（编号 {claim_id}）。"


def _claim_head(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def claim_approved(text: str, points: int) -> str:
    return f"您的申报“{_claim_head(text)}”已审核通过，计入红色积分 {points} 分。"


def claim_rejected(text: str, reason: str) -> str:
    return f"您的申报“{_claim_head(text)}”未通过审核。理由：{reason}"
