"""Build callbacks the way the WeChat platform does: sample XML, signatures, encryption."""

from __future__ import annotations

import itertools
import secrets
import time
from dataclasses import dataclass, field

from app.wechat import codec
from app.wechat.crypto import MessageCrypto
from app.wechat.signature import sign

TOKEN = "test-callback-token"
APP_ID = "wx1234567890abcdef"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
OLD_AES_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
ACCOUNT = "gh_test_account"

_msg_ids = itertools.count(int(time.time() * 1000))

# The platform's documented sample bodies, one per message and event type.
SAMPLES: dict[str, str] = {
    "text": "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            "<MsgId>{msg_id}</MsgId><MsgDataId>xxxx</MsgDataId><Idx>xxxx</Idx>",
    "image": "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://example.com/p.jpg]]>"
             "</PicUrl><MediaId><![CDATA[media_id]]></MediaId><MsgId>{msg_id}</MsgId>",
    "voice": "<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>"
             "<Format><![CDATA[amr]]></Format><Recognition><![CDATA[]]></Recognition>"
             "<MsgId>{msg_id}</MsgId>",
    "video": "<MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[media_id]]></MediaId>"
             "<ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId><MsgId>{msg_id}</MsgId>",
    "shortvideo": "<MsgType><![CDATA[shortvideo]]></MsgType><MediaId><![CDATA[media_id]]>"
                  "</MediaId><ThumbMediaId><![CDATA[thumb_media_id]]></ThumbMediaId>"
                  "<MsgId>{msg_id}</MsgId>",
    "location": "<MsgType><![CDATA[location]]></MsgType><Location_X>23.134521</Location_X>"
                "<Location_Y>113.358803</Location_Y><Scale>20</Scale>"
                "<Label><![CDATA[位置信息]]></Label><MsgId>{msg_id}</MsgId>",
    "link": "<MsgType><![CDATA[link]]></MsgType><Title><![CDATA[公众平台官网链接]]></Title>"
            "<Description><![CDATA[公众平台官网链接]]></Description>"
            "<Url><![CDATA[url]]></Url><MsgId>{msg_id}</MsgId>",
    "subscribe": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>",
    "subscribe_scene": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
                       "<EventKey><![CDATA[qrscene_{scene}]]></EventKey>"
                       "<Ticket><![CDATA[TICKET]]></Ticket>",
    "unsubscribe": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event>",
    "scan": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"
            "<EventKey><![CDATA[{scene}]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket>",
    "location_event": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>"
                      "<Latitude>23.137466</Latitude><Longitude>113.352425</Longitude>"
                      "<Precision>119.385040</Precision>",
    "click": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event>"
             "<EventKey><![CDATA[{key}]]></EventKey>",
    "view": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[VIEW]]></Event>"
            "<EventKey><![CDATA[http://www.example.com/]]></EventKey>",
    "templatesendjobfinish": "<MsgType><![CDATA[event]]></MsgType>"
                             "<Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>"
                             "<MsgID>200163836</MsgID><Status><![CDATA[success]]></Status>",
    "masssendjobfinish": "<MsgType><![CDATA[event]]></MsgType>"
                         "<Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID>"
                         "<Status><![CDATA[err(30003)]]></Status><TotalCount>0</TotalCount>"
                         "<FilterCount>0</FilterCount><SentCount>0</SentCount>"
                         "<ErrorCount>0</ErrorCount>",
    "scancode_push": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_push]]></Event>"
                     "<EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[qrcode]]>"
                     "</ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>",
    "pic_sysphoto": "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_sysphoto]]></Event>"
                    "<EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList>"
                    "<item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>"
                    "</item></PicList></SendPicsInfo>",
    "location_select": "<MsgType><![CDATA[event]]></MsgType>"
                       "<Event><![CDATA[location_select]]></Event><EventKey><![CDATA[6]]></EventKey>"
                       "<SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y>"
                       "<![CDATA[113]]></Location_Y><Scale><![CDATA[15]]></Scale><Label>"
                       "<![CDATA[ 广州市海珠区 ]]></Label><Poiname><![CDATA[]]></Poiname>"
                       "</SendLocationInfo>",
    "view_miniprogram": "<MsgType><![CDATA[event]]></MsgType>"
                        "<Event><![CDATA[view_miniprogram]]></Event>"
                        "<EventKey><![CDATA[pages/index/index]]></EventKey>"
                        "<MenuId>MENUID</MenuId>",
    "subscribe_msg_popup_event": "<MsgType><![CDATA[event]]></MsgType>"
                                 "<Event><![CDATA[subscribe_msg_popup_event]]></Event>"
                                 "<SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9V]]>"
                                 "</TemplateId><SubscribeStatusString><![CDATA[accept]]>"
                                 "</SubscribeStatusString><PopupScene>2</PopupScene></List>"
                                 "</SubscribeMsgPopupEvent>",
}


def message_xml(kind: str, openid: str = "o_member_1", *, create_time: int | None = None,
                msg_id: int | None = None, **fields: object) -> str:
    values = {"content": "帮助", "scene": "checkin_1", "key": "LESSON_TODAY",
              "msg_id": msg_id if msg_id is not None else next(_msg_ids), **fields}
    body = SAMPLES[kind].format(**values)
    created = create_time if create_time is not None else int(time.time())
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime>{body}</xml>")


@dataclass
class Platform:
    """Signs (and encrypts) requests as the WeChat servers would."""

    token: str = TOKEN
    aes_key: str = AES_KEY
    app_id: str = APP_ID
    clock: float | None = None
    _crypto: MessageCrypto = field(init=False)

    def __post_init__(self) -> None:
        self._crypto = MessageCrypto(self.token, [self.aes_key], self.app_id)

    def now(self) -> int:
        return int(self.clock if self.clock is not None else time.time())

    def params(self, *, timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
        ts = str(timestamp if timestamp is not None else self.now())
        nonce = nonce or secrets.token_hex(6)
        return {"timestamp": ts, "nonce": nonce, "signature": sign(self.token, ts, nonce),
                "openid": "o_member_1"}

    def plain(self, xml: str, **kwargs: object) -> tuple[dict[str, str], bytes]:
        return self.params(**kwargs), xml.encode()  # type: ignore[arg-type]

    def encrypted(self, xml: str, *, compatible: bool = False,
                  **kwargs: object) -> tuple[dict[str, str], bytes]:
        params = self.params(**kwargs)  # type: ignore[arg-type]
        encrypted = self.encrypt_only(xml)
        params |= {"encrypt_type": "aes",
                   "msg_signature": sign(self.token, params["timestamp"], params["nonce"],
                                         encrypted)}
        if compatible:
            inner = xml.removeprefix("<xml>").removesuffix("</xml>")
            body = f"<xml>{inner}<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        else:
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>")
        return params, body.encode()

    def encrypt_only(self, xml: str) -> str:
        envelope = self._crypto.encrypt(xml, 0, str(self.now()))
        return str(codec.parse_fields(envelope)["Encrypt"])

    def decrypt_reply(self, reply: str) -> dict[str, object]:
        fields = codec.parse_fields(reply)
        expected = sign(self.token, str(fields["TimeStamp"]), str(fields["Nonce"]),
                        str(fields["Encrypt"]))
        assert fields["MsgSignature"] == expected, "reply signature does not verify"
        plain, _ = self._crypto.decrypt(str(fields["Encrypt"]))
        return codec.parse_fields(plain)
