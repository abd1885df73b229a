"""Every sentence a member reads, in one place so wording is reviewed together."""

from __future__ import annotations

WELCOME = "欢迎关注红心！这里是党员学习与活动服务号。"

HELP = """可以发送以下关键词：
学习 / 微党课 —— 今日微党课
课程 —— 课程列表，发送“课程 N”打开第 N 课
答题 —— 开始党建知识答题
错题 —— 查看最近答错的题
活动 —— 近期活动
报名 N / 取消报名 N —— 报名或取消第 N 号活动
我的报名 —— 我报名的活动
积分 —— 我的红色积分
订阅 / 退订 —— 订阅或退订每日微党课推送
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
