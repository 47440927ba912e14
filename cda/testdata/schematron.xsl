<?xml version="1.0" encoding="UTF-8"?>
<!--
  A small ISO Schematron compiler used by the cda tests: it turns a
  queryBinding="xslt2" schema into an XSLT 2.0 stylesheet that writes an SVRL
  report (svrl:failed-assert, svrl:successful-report). It handles what the
  ANS structuration-minimale schema uses: include, ns, pattern, rule
  (abstract rules and extends), let, assert, report, value-of and name.
  Within a pattern, a node is checked by the first rule whose context it
  matches, as the ISO skeleton does.
  Run with Saxon-HE: java -cp Saxon-HE.jar net.sf.saxon.Transform -s:X.sch -xsl:schematron.xsl -o:X.xsl
-->
<xsl:stylesheet version="2.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:sch="http://purl.oclc.org/dsdl/schematron"
    xmlns:axsl="urn:x-schematron-compiler:xsl"
    xmlns:svrl="http://purl.oclc.org/dsdl/svrl"
    exclude-result-prefixes="sch">

  <xsl:namespace-alias stylesheet-prefix="axsl" result-prefix="xsl"/>

  <!-- Step 1: the schema with every include resolved. -->
  <xsl:template match="@*|node()" mode="include">
    <xsl:copy><xsl:apply-templates select="@*|node()" mode="include"/></xsl:copy>
  </xsl:template>
  <xsl:template match="sch:include" mode="include">
    <xsl:apply-templates select="doc(resolve-uri(@href, base-uri(.)))/*" mode="include"/>
  </xsl:template>

  <xsl:variable name="full">
    <xsl:apply-templates select="/*" mode="include"/>
  </xsl:variable>

  <xsl:key name="abstract" match="sch:rule[@abstract='true']" use="@id"/>

  <xsl:template match="/">
    <axsl:stylesheet version="2.0">
      <xsl:for-each select="$full/sch:schema/sch:ns[@prefix != 'xml']">
        <xsl:namespace name="{@prefix}" select="string(@uri)"/>
      </xsl:for-each>
      <!-- doc('include/...') in the asserts resolves against the schema. -->
      <xsl:attribute name="xml:base" select="base-uri(/)"/>
      <axsl:template match="/">
        <svrl:schematron-output>
          <xsl:for-each select="$full//sch:pattern[sch:rule[@context]]">
            <axsl:apply-templates select="/" mode="M{position()}"/>
          </xsl:for-each>
        </svrl:schematron-output>
      </axsl:template>
      <xsl:for-each select="$full//sch:pattern[sch:rule[@context]]">
        <xsl:variable name="mode" select="concat('M', position())"/>
        <xsl:for-each select="sch:rule[@context]">
          <axsl:template match="{@context}" mode="{$mode}" priority="{10000 - position()}">
            <xsl:apply-templates select="*" mode="body"/>
            <axsl:apply-templates select="*" mode="{$mode}"/>
          </axsl:template>
        </xsl:for-each>
        <axsl:template match="/|*" mode="{$mode}" priority="-2">
          <axsl:apply-templates select="*" mode="{$mode}"/>
        </axsl:template>
      </xsl:for-each>
    </axsl:stylesheet>
  </xsl:template>

  <!-- Step 2: the content of a rule. -->
  <xsl:template match="sch:let" mode="body">
    <axsl:variable name="{@name}" select="{@value}"/>
  </xsl:template>

  <xsl:template match="sch:extends" mode="body">
    <xsl:variable name="id" select="@rule"/>
    <xsl:apply-templates select="key('abstract', $id, root(.))/*" mode="body"/>
  </xsl:template>

  <xsl:template match="sch:assert" mode="body">
    <axsl:if test="not({@test})">
      <svrl:failed-assert role="{(@role, 'error')[1]}" id="{@id}">
        <axsl:attribute name="location" select="path()"/>
        <svrl:text><xsl:apply-templates select="node()" mode="text"/></svrl:text>
      </svrl:failed-assert>
    </axsl:if>
  </xsl:template>

  <xsl:template match="sch:report" mode="body">
    <axsl:if test="{@test}">
      <svrl:successful-report role="{(@role, 'info')[1]}" id="{@id}">
        <axsl:attribute name="location" select="path()"/>
        <svrl:text><xsl:apply-templates select="node()" mode="text"/></svrl:text>
      </svrl:successful-report>
    </axsl:if>
  </xsl:template>

  <xsl:template match="*" mode="body"/>

  <!-- Step 3: assertion messages. -->
  <xsl:template match="text()" mode="text">
    <axsl:text><xsl:value-of select="."/></axsl:text>
  </xsl:template>
  <xsl:template match="sch:value-of" mode="text">
    <axsl:value-of select="{@select}"/>
  </xsl:template>
  <xsl:template match="sch:name" mode="text">
    <axsl:value-of select="name({(@path, '.')[1]})"/>
  </xsl:template>
  <xsl:template match="*" mode="text">
    <xsl:apply-templates select="node()" mode="text"/>
  </xsl:template>
</xsl:stylesheet>
