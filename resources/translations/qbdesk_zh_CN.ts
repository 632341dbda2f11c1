<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ApplicationTableModel</name>
    <message>
        <source>ID</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Program</source>
        <translation>项目类别</translation>
    </message>
    <message>
        <source>Applicant</source>
        <translation>申报单位</translation>
    </message>
    <message>
        <source>Credit code</source>
        <translation>统一社会信用代码</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>项目名称</translation>
    </message>
    <message>
        <source>Requested</source>
        <translation>申请金额</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>档次</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>事项数</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>附件 盲审/非盲审</translation>
    </message>
    <message>
        <source>Experts</source>
        <translation>评审专家</translation>
    </message>
    <message>
        <source>{blind} blind (experts may see them), {other} not blind</source>
        <translation>盲审附件 {blind} 份（专家可见），非盲审附件 {other} 份</translation>
    </message>
    <message>
        <source>{n} experts assigned</source>
        <translation>已分配 {n} 位评审专家</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;Programs</source>
        <translation>项目类别(&amp;P)</translation>
    </message>
    <message>
        <source>ID, title, applicant or credit code</source>
        <translation>编号、项目名称、申报单位或统一社会信用代码</translation>
    </message>
    <message>
        <source>&amp;Search:</source>
        <translation>搜索(&amp;S)：</translation>
    </message>
    <message>
        <source>&amp;Applications</source>
        <translation>申报项目(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Open database…</source>
        <translation>打开数据库(&amp;O)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>刷新(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <source>R&amp;ound</source>
        <translation>评审批次(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About qbdesk</source>
        <translation>关于 qbdesk(&amp;A)</translation>
    </message>
    <message>
        <source>No database is open.

Open one with File → Open database… (Ctrl+O).</source>
        <translation>尚未打开数据库。

请通过“文件 → 打开数据库…”（Ctrl+O）打开。</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>This database has no review round yet.

Create one from a terminal:
qbdesk demo — a demonstration round with sample applications
qbdesk round init — a new round of your own

then press F5 to refresh, or open another database with Ctrl+O.</source>
        <translation>此数据库中还没有评审批次。

请在终端中创建：
qbdesk demo — 创建带示例申报材料的演示批次
qbdesk round init — 新建评审批次

然后按 F5 刷新，或按 Ctrl+O 打开其他数据库。</translation>
    </message>
    <message>
        <source>Could not read the database:
{reason}</source>
        <translation>无法读取数据库：
{reason}</translation>
    </message>
    <message>
        <source>Open database</source>
        <translation>打开数据库</translation>
    </message>
    <message>
        <source>qbdesk databases (*.sqlite *.db);;All files (*)</source>
        <translation>qbdesk 数据库 (*.sqlite *.db);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Could not open {path}:
{reason}</source>
        <translation>无法打开 {path}：
{reason}</translation>
    </message>
    <message>
        <source>Opening {path}…</source>
        <translation>正在打开 {path}…</translation>
    </message>
    <message>
        <source>About qbdesk</source>
        <translation>关于 qbdesk</translation>
    </message>
    <message>
        <source>&lt;b&gt;qbdesk&lt;/b&gt; {version}&lt;p&gt;Expert review desk for the quality-and-brand special fund of the Shenzhen Administration for Market Regulation.&lt;/p&gt;</source>
        <translation>&lt;b&gt;qbdesk 质量品牌评审桌面&lt;/b&gt; {version}&lt;p&gt;深圳市市场监督管理局质量品牌领域专项资金专家评审工具。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>qbdesk — quality-brand review desk</source>
        <translation>qbdesk — 质量品牌评审桌面</translation>
    </message>
    <message>
        <source>Round: {name} ({year})</source>
        <translation>评审批次：{name}（{year}年）</translation>
    </message>
    <message>
        <source>{shown} of {total} applications shown</source>
        <translation>显示 {shown} / 共 {total} 项申报</translation>
    </message>
</context>
<context>
    <name>Money</name>
    <message>
        <source>¥{amount}</source>
        <translation>{amount} 元</translation>
    </message>
</context>
<context>
    <name>ProgramListModel</name>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>All programs</source>
        <translation>全部项目类别</translation>
    </message>
    <message>
        <source>{code} {name}, article {article}</source>
        <translation>{code} {name}，第{article}条</translation>
    </message>
    <message>
        <source>{n} applications, {amount} requested</source>
        <translation>{n} 项申报，申请金额合计 {amount}</translation>
    </message>
    <message>
        <source>Not part of this round</source>
        <translation>本批次不含此项目类别</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Could not open the database {url}:
{reason}</source>
        <translation>无法打开数据库 {url}：
{reason}</translation>
    </message>
    <message>
        <source>(default)</source>
        <translation>（默认）</translation>
    </message>
</context>
</TS>
