"""Names that make text a link: URL schemes that browsers, terminals and mail or chat clients act on, and
top-level domains (generic ones in use, and every two-letter country code)."""
from __future__ import annotations

KNOWN_SCHEMES = frozenset("""
http https ftp ftps sftp tftp file mailto javascript vbscript livescript data blob about view-source
tel sms mms fax xmpp irc ircs ssh git svn hg news nntp snews telnet ws wss rtsp rtmp webcal feed
ldap ldaps gopher magnet smb cifs afp nfs vnc rdp sip sips skype facetime callto
chrome chrome-extension edge moz-extension resource jar intent market itms itms-apps
ms-settings ms-word ms-excel ms-powerpoint steam slack zoommtg spotify bitcoin ethereum geo maps
""".split())

_GENERIC = """
com net org edu gov mil int info biz name pro aero coop museum mobi asia tel travel jobs cat xxx post arpa
io ai app dev xyz online site top club shop store tech blog cloud page link live news web wiki art design
email space website fun icu vip work today world life agency digital network systems solutions services
support center company group media studio social chat zip mov lol run host download click help
"""

_COUNTRY = """
ac ad ae af ag ai al am ao aq ar as at au aw ax az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz
ca cc cd cf cg ch ci ck cl cm cn co cr cu cv cw cx cy cz de dj dk dm do dz ec ee eg er es et eu
fi fj fk fm fo fr ga gd ge gf gg gh gi gl gm gn gp gq gr gs gt gu gw gy hk hm hn hr ht hu
id ie il im in io iq ir is it je jm jo jp ke kg kh ki km kn kp kr kw ky kz la lb lc li lk lr ls lt lu lv ly
ma mc md me mg mh mk ml mm mn mo mp mq mr ms mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om
pa pe pf pg ph pk pl pm pn pr ps pt pw py qa re ro rs ru rw sa sb sc sd se sg sh si sk sl sm sn so sr ss st
su sv sx sy sz tc td tf tg th tj tk tl tm tn to tr tt tv tw tz ua ug uk us uy uz va vc ve vg vi vn vu
wf ws ye yt za zm zw рф
"""

TLDS = frozenset(_GENERIC.split()) | frozenset(_COUNTRY.split())

# Country codes that are also common file extensions: ``train.py`` or ``README.md`` alone is no link (with a
# scheme, ``//``, ``www.``, ``user@``, a port or a path it is).
FILEISH_TLDS = frozenset("py md sh rs pl so ps cc mk ml pm tf zip mov".split())
