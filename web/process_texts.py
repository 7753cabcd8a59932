"""Texts of the bundled processes (bpmn/): the names of their tasks and events and the titles,
descriptions and choices of their forms, marked here for the catalogue so that they read in the
page's language.

The deployed diagrams and forms keep their own text; :func:`text` looks it up in the catalogue and
falls back to the text itself, so an edited or new diagram still shows its own names.  When the
texts in bpmn/ change, add the new ones here and to both catalogues
(tests/web/test_process_texts.py names any that is missing).
"""

from __future__ import annotations

from flask_babel import gettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue."""
    return message


def text(source: str | None) -> str:
    """``source`` (a name, title or description from a deployed process) in the page's language."""
    if not source:
        return ""
    return str(gettext(source))


# Every text of bpmn/*.bpmn (tasks, events, called processes) and bpmn/forms/*.json.
TEXTS = (
    N_('接受委派'),
    N_('The mediator accepts the delegation; the 30-day period starts now (特邀调解规定 art 27).'),
    N_('The mediator accepts the delegated case.'),
    N_('说明'),
    N_('Note.'),
    N_('确认接收'),
    N_(
        'The mediator confirms within 3 working d'
        'ays, or the case is dispatched again (在线调解规则 '
        'art 12).'
    ),
    N_('接收本案'),
    N_('Accept the case; the mediation period starts now.'),
    N_('不接收理由'),
    N_('Why the mediator declines (conflict, caseload).'),
    N_('驳回后的选择'),
    N_(
        'After a rejection the parties may change the agreement or reach a new one through '
        'mediation, or sue (民事诉讼法 art 206).'
    ),
    N_('选择'),
    N_('What the parties do next.'),
    N_('重新调解（变更原协议或达成新协议）'),
    N_('向人民法院提起诉讼'),
    N_('鉴定结果'),
    N_(
        'Completing this task ends the suspension'
        ': the remaining days of the period run again '
        'from today.'
    ),
    N_('鉴定机构'),
    N_('The appraisal institution.'),
    N_('鉴定意见'),
    N_('Summary of the appraisal opinion.'),
    N_('征询对方当事人意愿'),
    N_(
        'Only one side applied: ask the other sid'
        'e within 3 working days whether it agrees to '
        'mediation (在线调解规则 art 15); an explicit refusal ends the case.'
    ),
    N_('对方意愿'),
    N_("The other side's answer."),
    N_('同意调解'),
    N_('拒绝调解'),
    N_('联系记录'),
    N_('How and when the other side was contacted.'),
    N_('调委会主任指定调解员'),
    N_(
        'Three dispatch rounds were not accepted:'
        ' the committee chair assigns a mediator, who '
        'takes the case at once.'
    ),
    N_('调解员'),
    N_('指定说明'),
    N_('Note on the assignment.'),
    N_('共同选定调解员'),
    N_('结案归档'),
    N_('Close the case and archive its file (人民调解法 art 27).'),
    N_('归档材料'),
    N_('Documents placed in the case file.'),
    N_('调解申请书'),
    N_('受理登记表'),
    N_('权利义务告知书'),
    N_('当事人身份证明'),
    N_('调解笔录'),
    N_('调解协议书'),
    N_('口头协议记录'),
    N_('调解不成/终止记录'),
    N_('履行凭证'),
    N_('回访记录'),
    N_('司法确认材料'),
    N_('结案报告'),
    N_('Closing report.'),
    N_('委派调解'),
    N_(
        'The court delegates a suit to a mediation organisation or invited mediator before '
        'filing, unless a party refuses (民事诉讼法 art 125).'
    ),
    N_('当事人拒绝诉前调解'),
    N_('A party refuses pre-litigation mediation.'),
    N_('受委派的调解员'),
    N_('The invited mediator (user name).'),
    N_('拒绝情况'),
    N_('Who refused and why.'),
    N_('指定调解员'),
    N_('The dispatcher designates a mediator (not one who already declined this case).'),
    N_('Why this mediator (speciality, caseload).'),
    N_('制作调解协议'),
    N_(
        'Content of the agreement (人民调解法 art 28-29). An oral agreement is recorded and in '
        'force at once (art 30); a written one ta'
        'kes effect when every party and the mediator '
        'have signed.'
    ),
    N_('协议形式'),
    N_('Written or oral agreement.'),
    N_('书面协议'),
    N_('口头协议'),
    N_('纠纷的主要事实'),
    N_('Main facts of the dispute.'),
    N_('争议事项'),
    N_('Matters in dispute.'),
    N_('各方当事人的责任'),
    N_('Responsibilities of each party.'),
    N_('协议内容'),
    N_('What the parties agreed.'),
    N_('履行方式'),
    N_('How the agreement is performed.'),
    N_('履行地点'),
    N_('Where it is performed.'),
    N_('履行期限'),
    N_('Last day of performance (ISO date); the follow-up visit falls due then.'),
    N_('当场履行'),
    N_('Performed on the spot (e.g. paid at once).'),
    N_('协议金额（元）'),
    N_('Amount agreed, if any.'),
    N_('是否同意延长调解期限'),
    N_(
        "Each party records whether it consents to the extension; without every party's "
        'consent the period is not extended.'
    ),
    N_('同意延期'),
    N_('This party consents to extending the period.'),
    N_('回访'),
    N_('Follow-up visit at the performance deadline (人民调解法 art 31).'),
    N_('履行情况'),
    N_('Whether the agreement was performed.'),
    N_('已全部履行'),
    N_('部分履行'),
    N_('未履行'),
    N_('当事人满意度'),
    N_("The parties' satisfaction."),
    N_('满意'),
    N_('基本满意'),
    N_('不满意'),
    N_('Notes of the visit.'),
    N_('告知其他解决途径'),
    N_(
        'The mediation failed: tell the parties the other routes (arbitration, '
        'administrative, judicial; 人民调解法 art 26) and record their choice. Court '
        "pre-litigation mediation needs every party's consent."
    ),
    N_('已告知其他途径'),
    N_('The parties were told the other routes.'),
    N_('当事人的选择'),
    N_('What the parties choose.'),
    N_('向人民法院起诉'),
    N_('法院诉前调解（各方同意）'),
    N_('暂不选择'),
    N_('各方同意诉前调解'),
    N_('Every party consents to pre-litigation mediation.'),
    N_('Notes for the case file.'),
    N_('决定是否受理'),
    N_(
        'The court decides within 3 days whether to accept the application (SPC 2011 rules '
        'art 4; 民诉法解释 art 355).'
    ),
    N_('受理'),
    N_('Accept the application.'),
    N_('不予受理理由'),
    N_('Why the application is not accepted.'),
    N_('不属于人民法院受理范围'),
    N_('不属于本院管辖'),
    N_('确认身份关系（婚姻、收养、亲子）'),
    N_('涉及适用其他特别程序、公示催告程序、破产程序'),
    N_('涉及物权、知识产权确认'),
    N_('其他'),
    N_('Note on the decision.'),
    N_('申请司法确认'),
    N_(
        'Judicial confirmation needs a joint application of both parties within 30 days of '
        'the agreement taking effect (人民调解法 art 33).'
    ),
    N_('This party applies for judicial confirmation.'),
    N_('院长审批延长审查期限'),
    N_('The court president approves (or not) 10 more days for the ruling.'),
    N_('批准延长'),
    N_('Approve 10 more days.'),
    N_('审批意见'),
    N_("The president's note."),
    N_('作出裁定'),
    N_("The ruling after the president's decision on the extension."),
    N_('裁定'),
    N_('The ruling.'),
    N_('裁定调解协议有效'),
    N_('裁定驳回申请'),
    N_('准许撤回申请'),
    N_('驳回理由'),
    N_('Legal ground of the rejection.'),
    N_('违反法律强制性规定'),
    N_('损害国家利益、社会公共利益或者他人合法权益'),
    N_('违背公序良俗'),
    N_('违反自愿原则'),
    N_('内容不明确'),
    N_('其他不能进行司法确认的情形'),
    N_('裁定说明'),
    N_('Reasons stated in the ruling.'),
    N_('审查调解协议'),
    N_(
        'One judge rules within 15 days of acceptance; the court president may approve 10 '
        'more days (SPC 2011 rules art 5). Rejection grounds per 民诉法解释 art 358.'
    ),
    N_('The ruling, or a request to extend the period.'),
    N_('申请延长审查期限（需院长批准）'),
    N_('延长理由'),
    N_('Why more time is needed.'),
    N_('调解'),
    N_(
        'The mediator records the result of the mediation before the period ends: agreement, '
        "failure with its ground, a party's refusal or withdrawal, escalation to the next "
        "tier (never blocked), a request to extend the period (needs every party's consent) "
        'or a suspension for appraisal (the clock stops).'
    ),
    N_('调解结果'),
    N_('What happens next.'),
    N_('达成协议'),
    N_('调解不成'),
    N_('当事人拒绝调解或撤回'),
    N_('本级无法化解，上交上一级'),
    N_('申请延长调解期限'),
    N_('申请鉴定，中止调解'),
    N_('理由'),
    N_('Reasons, recorded for the case file (人民调解法 art 26; 在线调解规则 art 25).'),
    N_('调解不成的情形'),
    N_('Ground of the failure.'),
    N_('无法联系当事人'),
    N_('双方分歧较大，难以达成协议'),
    N_('延长天数'),
    N_("Days to add to the period, counted in the period's own unit."),
    N_('鉴定事项'),
    N_('What is to be appraised.'),
    N_('调解员签名并加盖印章'),
    N_(
        "The mediator signs and the committee's seal is affixed; the agreement then takes "
        'effect.'
    ),
    N_('调解员已签名'),
    N_('The mediator signed.'),
    N_('已加盖人民调解委员会印章'),
    N_('The committee seal is affixed.'),
    N_('登记受理'),
    N_(
        'The intake clerk registers the dispute, or refuses it and tells the party which '
        'other route to take (人民调解法 art 17-18).'
    ),
    N_('受理决定'),
    N_('Register the dispute or refuse it.'),
    N_('不予受理'),
    N_('纠纷类型'),
    N_('Kind of dispute; drives triage.'),
    N_('医疗纠纷'),
    N_('劳动争议'),
    N_('物业纠纷'),
    N_('婚姻家庭纠纷（抚养、赡养、继承等）'),
    N_('婚姻关系（婚姻效力、解除婚姻）'),
    N_('收养关系'),
    N_('亲子关系'),
    N_('道路交通事故纠纷'),
    N_('消费纠纷'),
    N_('金融纠纷'),
    N_('建设工程纠纷'),
    N_('土地、宅基地纠纷'),
    N_('债权债务纠纷'),
    N_('房屋租赁纠纷'),
    N_('邻里纠纷'),
    N_('其他纠纷'),
    N_('争议金额（元）'),
    N_('Amount in dispute in yuan; 0 if none.'),
    N_('纠纷简要情况'),
    N_('Short description of the dispute.'),
    N_('双方共同申请'),
    N_('Both sides applied; if not, the other side is asked.'),
    N_('请求确认物权或知识产权'),
    N_(
        'The parties ask to confirm ownership of property or IP (no judicial confirmation '
        'then, 民诉法解释 art 355).'
    ),
    N_('Why the dispute is not accepted.'),
    N_('不属于人民调解范围'),
    N_('已由人民法院受理'),
    N_('已由其他机关处理'),
    N_('告知的其他途径'),
    N_('The route the party was told to take instead.'),
    N_('登记立案'),
    N_('The case-filing division registers a qualifying suit within 7 days (民事诉讼法 art 126).'),
    N_('已立案'),
    N_('The suit is registered.'),
    N_('案号'),
    N_("The court's case number."),
    N_('不予立案理由'),
    N_('Why the suit is not registered.'),
    N_('送达民事裁定书'),
    N_("The judge's assistant serves the civil ruling on the parties."),
    N_('送达日期'),
    N_('Date of service (ISO date).'),
    N_('送达方式'),
    N_('How the ruling was served.'),
    N_('直接送达'),
    N_('电子送达'),
    N_('邮寄送达'),
    N_('签署调解协议'),
    N_(
        'This party signs, seals, fingerprints or e-signs the agreement, or refuses to sign '
        '(人民调解法 art 29; 在线调解规则 art 19).'
    ),
    N_('签署方式'),
    N_('How this party signs, or refusal.'),
    N_('签名'),
    N_('盖章'),
    N_('按指印'),
    N_('电子签名'),
    N_('拒绝签署'),
    N_('纠纷受理与分流'),
    N_('收到调解申请'),
    N_('登记立卷'),
    N_('计算征询期限'),
    N_('征询对方意愿'),
    N_('三个工作日未答复'),
    N_('记录对方未答复'),
    N_('对方未答复，终止'),
    N_('对方拒绝调解，终止'),
    N_('分流（确定起始层级与调解室）'),
    N_('逐级调解'),
    N_('当事人撤回'),
    N_('记录撤回，终止调解'),
    N_('签订调解协议'),
    N_('司法确认与履行'),
    N_('调解不成，告知其他途径'),
    N_('记录结案'),
    N_('已结案归档'),
    N_('征询延期意见'),
    N_('申请延期'),
    N_('发出延期征询'),
    N_('各方已答复'),
    N_('司法确认'),
    N_('协议已生效'),
    N_('计算申请期限'),
    N_('三十日内未共同申请'),
    N_('记录申请期限届满'),
    N_('申请期限届满'),
    N_('核对是否共同申请'),
    N_('记录未共同申请'),
    N_('未申请司法确认'),
    N_('身份关系或确权事项不予受理'),
    N_('计算受理期限'),
    N_('三日内未决定'),
    N_('受理超期'),
    N_('记录不予受理'),
    N_('计算审查期限'),
    N_('十五日内未审结'),
    N_('审查超期'),
    N_('按批准延长十日'),
    N_('延长期限内未审结'),
    N_('裁定协议有效'),
    N_('确认有效'),
    N_('选择重新调解或起诉'),
    N_('驳回申请'),
    N_('准许撤回'),
    N_('撤回申请'),
    N_('调解不成的后续途径'),
    N_('诉前调解'),
    N_('引导诉讼并立案'),
    N_('已告知途径'),
    N_('调解协议'),
    N_('送交当事人签署'),
    N_('当事人签署协议'),
    N_('核对当事人签署'),
    N_('记录拒绝签署'),
    N_('协议未生效'),
    N_('协议生效'),
    N_('调解期间'),
    N_('调解期限届满'),
    N_('记录调解结果'),
    N_('调解有结果'),
    N_('中止计时（鉴定）'),
    N_('鉴定'),
    N_('恢复计时'),
    N_('继续调解'),
    N_('征询各方是否同意延期'),
    N_('期限届满前未获答复'),
    N_('核对各方意见'),
    N_('延长调解期限'),
    N_('记录未获同意'),
    N_('记录期限届满'),
    N_('期限届满'),
    N_('派单与接收'),
    N_('派单'),
    N_('计算接收期限'),
    N_('三个工作日未确认'),
    N_('记录逾期未确认'),
    N_('记录派单结果'),
    N_('本轮结束'),
    N_('履行与回访'),
    N_('开始履行'),
    N_('计算履行期限'),
    N_('履行期限届满'),
    N_('回访完毕'),
    N_('法院委派'),
    N_('记录拒绝诉前调解'),
    N_('开始计算诉前调解期限'),
    N_('按庭外调解结案'),
    N_('庭外调解结案'),
    N_('记录诉前调解不成'),
    N_('已转立案'),
    N_('记录不适用司法确认'),
    N_('确认与履行结束'),
    N_('立案'),
    N_('收到起诉'),
    N_('计算立案期限'),
    N_('七日内未立案'),
    N_('立案超期'),
    N_('立案审查完毕'),
    N_('开始逐级调解'),
    N_('建立层级记录'),
    N_('小院调解'),
    N_('网格调解'),
    N_('村社调解'),
    N_('镇街调解'),
    N_('区级调解'),
    N_('记录逐级调解结果'),
    N_('逐级调解结束'),
    N_('本级调解'),
    N_('进入本级'),
    N_('计算选定期限'),
    N_('两个工作日未选定'),
    N_('开始计算调解期限'),
    N_('记录上交原因'),
    N_('记录本级结果'),
    N_('本级结束'),
    N_(
        "Each party names the mediator they want from the unit's roster; when every party names "
        "the same one, that mediator is chosen jointly. Otherwise, or after 2 working days, the "
        "dispatcher designates one (在线调解规则 art 10)."
    ),
    N_('希望由哪位调解员调解'),
    N_('Leave it empty to let the office designate a mediator.'),
    N_("The mediator who will handle the case at this tier, from the unit's roster."),
    N_('核对共同选定结果'),
    N_('计算主任指定期限'),
    N_('主任逾期未指定'),
    N_('记录无人接收、上交'),
    N_(
        'A labour dispute not settled in mediation goes to the labour dispute '
        'arbitration commission before any court (劳动争议调解仲裁法 art 5, 14; the time limit to '
        'apply is one year, art 27). Tell the parties and record what they do.'
    ),
    N_('Date of service (ISO date), not before the date of the ruling.'),
    N_(
        'Last day of performance (ISO date), not before the date of the agreement; the '
        'follow-up visit falls due then.'
    ),
    N_(
        'The agreement was not fully performed. Tell the parties what they can do (人民调解法 '
        'art 31-32; 民事诉讼法 art 225, 250) and record the route the entitled party takes.'
    ),
    N_('The arbitration commission the party is referred to.'),
    N_(
        'The mediator records the result of the mediation before the period ends: '
        "agreement, failure with its ground, a party's refusal or withdrawal, escalation "
        'to the next tier (never blocked), a request to extend the period (needs every '
        "party's consent; the office allows a limited number of requests per tier) or a "
        'suspension for appraisal (the clock stops).'
    ),
    N_(
        'The parties were told that they may apply for arbitration, and of its one-year '
        'time limit.'
    ),
    N_(
        'The parties were told: a payment order for a money debt, a suit on the '
        'agreement, or, for an agreement the court confirmed, enforcement within two '
        'years of the performance deadline.'
    ),
    N_('What remains to be performed, and what was agreed with the parties.'),
    N_('What the entitled party does next.'),
    N_('亲子关系纠纷（身份关系）'),
    N_('仲裁委员会'),
    N_('债权债务'),
    N_('制作期限届满'),
    N_('另立案件重新调解'),
    N_('只有经人民法院裁定确认有效的调解协议才能申请强制执行'),
    N_('向人民法院申请支付令'),
    N_('告知未履行的救济途径'),
    N_('告知申请劳动争议仲裁'),
    N_('土地/宅基地'),
    N_('婚姻家庭'),
    N_('婚姻纠纷（身份关系）'),
    N_('就调解协议的履行向人民法院起诉'),
    N_('就调解协议起诉'),
    N_('已告知救济途径'),
    N_('已告知申请劳动争议仲裁'),
    N_('建设工程'),
    N_('当事人选择的途径'),
    N_('房屋租赁'),
    N_('收养纠纷（身份关系）'),
    N_('暂不申请'),
    N_('期限内未作选择'),
    N_('未完全履行'),
    N_('未履行的救济途径'),
    N_('本级申请延长调解期限的次数已达上限，不能再申请延期：请继续调解、上交或作出其他决定'),
    N_('申请劳动争议仲裁'),
    N_('申请强制执行（经司法确认的协议）'),
    N_('签署期限届满'),
    N_('经司法确认的调解协议应申请强制执行，不能就协议另行起诉'),
    N_('继续督促履行'),
    N_('计算申请执行期限'),
    N_('记录协议日期，计算制作期限'),
    N_('记录对方拒绝调解'),
    N_('记录撤回，终止诉前调解'),
    N_('记录未作选择'),
    N_('记录未在期限内签署'),
    N_('记录未履行情况'),
    N_('记录裁定日期'),
    N_('诉前调解（法院委派）'),
    N_('退回调解员队列，重新计算制作期限'),
    N_('道路交通'),
)
